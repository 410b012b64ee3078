# An ioctl answered by the host, in penguin's style: the hwaddr program
# asks its network device for its MAC address (SIOCGIFHWADDR), which the
# board lacks. Only that program's SIOCGIFHWADDR raises the event (the
# guest checks the comm and the argument); the handler fills the request
# (struct ifreq: sa_family, then the address) and skips the call, which
# returns 0.
#
#   python3 -m hypermem --cmdline scenario=hwaddr \
#       examples/plugins/penguin/ioctl_skip.py
from penguin import Plugin, plugins

SIOCGIFHWADDR = 0x8927
ARPHRD_ETHER = 1
IFNAMSIZ = 16
MAC = bytes([0x02, 0x00, 0x5e, 0x00, 0x53, 0x01])


class IoctlSkip(Plugin):
    def __init__(self):
        plugins.syscalls.syscall("on_sys_ioctl_enter", comm_filter="hwaddr",
                                 arg_filters=[None, SIOCGIFHWADDR])(
            self.answer)

    def answer(self, regs, proto, syscall, fd, cmd, arg):
        device = yield from plugins.mem.read_str(arg)
        yield from plugins.mem.write_bytes(
            arg + IFNAMSIZ, ARPHRD_ETHER.to_bytes(2, "little") + MAC)
        syscall.skip_syscall = True
        syscall.retval = 0
        self.logger.info(f"pid {syscall.pid} {syscall.task.comm}: "
                         f"SIOCGIFHWADDR {device} -> "
                         f"{':'.join(f'{b:02x}' for b in MAC)}, skipped")
