# A failed operation raises GuestError in the handler, with errno, the
# operation and the guest address; caught, the run goes on.
import errno

from hypermem.plugin import GuestError, PyPlugin, plugins, getColoredLogger


class Failing(PyPlugin):
    def __init__(self, panda):
        self.logger = getColoredLogger("plugins.guest_error")
        self.hyp = plugins.hypermem
        self.seen = 0
        panda.hsyscall("on_sys_write_enter")(self.hyp.wrap(self.on_write))

    def on_write(self, cpu, proto, syscall, hook, fd, buf, count):
        if self.seen:
            return
        self.seen = 1
        try:
            yield from self.hyp.read_int(0x10)
        except GuestError as e:
            ok = e.errno == errno.EFAULT and e.op == "read_int"
            self.logger.info(f"{e.op} at {e.addr:#x}: {e.strerror} "
                             f"(errno {e.errno}, {'as expected' if ok else 'WRONG'})")
        name = self.hyp.call.read_fd_name(fd)
        self.logger.info(f"then read_fd_name({fd}) = {name}")
