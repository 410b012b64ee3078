# A generator handler that yields what is not an operation.
from hypermem.plugin import PyPlugin, plugins


class BadYield(PyPlugin):
    def __init__(self, panda):
        self.hyp = plugins.hypermem
        panda.hsyscall("on_sys_write_enter")(self.hyp.wrap(self.on_write))

    def on_write(self, cpu, proto, syscall, hook, fd, buf, count):
        yield self.hyp.read_str(buf)
