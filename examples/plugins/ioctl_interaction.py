# The ioctl interaction test: on an ioctl with SIOCDEVPRIVATE, read the
# request's name and value, write new ones and read them back, then say
# what the process is (fd name, argv, environment, pid).
#
#   python3 -m hypermem --cmdline scenario=ioctl examples/plugins/ioctl_interaction.py
from pandare2 import PyPlugin
from penguin import getColoredLogger, plugins

SIOCDEVPRIVATE = 0x89F0
IFNAMSIZ = 16


class IoctlInteraction(PyPlugin):
    def __init__(self, panda):
        self.panda = panda
        self.logger = getColoredLogger("plugins.ioctl_interaction")
        self.hyp = plugins.hypermem
        self.panda.hsyscall("on_sys_ioctl_return")(
            self.hyp.wrap(self.syscall_test))

    def syscall_test(self, cpu, proto, syscall, hook, fd, op, arg):
        if op != SIOCDEVPRIVATE:
            return
        interface = yield from self.hyp.read_str(arg)
        self.logger.info(f"Interface: {interface}")
        data = yield from self.hyp.read_int(arg + IFNAMSIZ)
        self.logger.info(f"Data: {data:#x}")

        to_write = "test"
        yield from self.hyp.write_str(arg, to_write)
        interface = yield from self.hyp.read_str(arg)
        assert interface == to_write, f"wrote {to_write}, read {interface}"

        to_write_int = 0x12345678
        yield from self.hyp.write_int(arg + IFNAMSIZ, to_write_int)
        data = yield from self.hyp.read_int(arg + IFNAMSIZ)
        assert data == to_write_int, f"wrote {to_write_int:#x}, read {data:#x}"

        fd_name = (yield from self.hyp.read_fd_name(fd)) or "[???]"
        self.logger.info(f"FD: {fd_name}")
        args = yield from self.hyp.get_proc_args()
        self.logger.info(f"Found process: {args}")
        env = yield from self.hyp.get_proc_env()
        self.logger.info(f"Found env: {env}")
        pid = yield from self.hyp.get_proc_pid()
        self.logger.info(f"Found pid: {pid}")
