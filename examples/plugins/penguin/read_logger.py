# A read logger in penguin's style: at each read()'s return, what was
# read, from which file, by which program (its argv). --plugin-arg
# ReadLogger.max_bytes=N shows N bytes of each (default 16),
# ReadLogger.comm=NAME only NAME's reads (the guest filters them).
#
#   python3 -m hypermem --cmdline scenario=two \
#       examples/plugins/penguin/read_logger.py
from penguin import Plugin, PluginArgs, plugins


class ReadLogger(Plugin):
    class Args(PluginArgs):
        max_bytes: int = 16
        comm: str = ""

    def __init__(self):
        self.max_bytes = self.get_arg("max_bytes")
        plugins.syscalls.syscall("on_sys_read_return",
                                 comm_filter=self.get_arg("comm") or None)(
            self.on_read)

    def on_read(self, regs, proto, syscall, fd, buf, count):
        if syscall.retval <= 0:
            return
        name = yield from plugins.osi.get_fd_name(fd)
        argv = yield from plugins.osi.get_args()
        data = yield from plugins.mem.read_bytes(
            buf, min(syscall.retval, self.max_bytes))
        self.logger.info(f"{argv} read {syscall.retval} of {count} bytes "
                         f"from fd {fd} ({name}): {data!r}")
