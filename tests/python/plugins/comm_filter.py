# A comm filter on a guest that does not say who raised an event.
from hypermem.plugin import PyPlugin


class CommFilter(PyPlugin):
    def __init__(self, panda):
        panda.hsyscall("on_sys_write_enter", comm_filter="worker")(
            self.on_write)

    def on_write(self, cpu, proto, syscall, hook, fd, buf, count):
        print("never")
