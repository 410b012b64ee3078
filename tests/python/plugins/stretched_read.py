# One read of many round trips from a guest that answers each of them
# late (tests/cli/fake-qemu.c): the run's end cuts it short.
from hypermem.plugin import GuestError, PyPlugin, plugins


class StretchedRead(PyPlugin):
    def __init__(self, panda):
        self.hyp = plugins.hypermem
        panda.hsyscall("on_sys_write_enter")(self.hyp.wrap(self.on_write))

    def on_write(self, cpu, proto, syscall, hook, fd, buf, count):
        print("reading")
        try:
            data = yield from self.hyp.read_bytes(buf, count)
            print("read: %d" % len(data))
        except GuestError as e:
            print("read: %s" % e)
