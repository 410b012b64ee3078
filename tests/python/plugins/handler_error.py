# A handler that fails: exit 1, the Python traceback, the guest stopped.
from hypermem.plugin import PyPlugin, plugins


class Broken(PyPlugin):
    def __init__(self, panda):
        self.hyp = plugins.hypermem
        panda.hsyscall("on_sys_write_enter")(self.hyp.wrap(self.on_write))

    def on_write(self, cpu, proto, syscall, hook, fd, buf, count):
        text = yield from self.hyp.read_bytes(buf, count)
        return text.decode() + 1
