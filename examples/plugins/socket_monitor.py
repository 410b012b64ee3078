# The socket monitor: each socket() a process opens, and where its
# connect() goes, with the port in the address rewritten on its way.
#
#   python3 -m hypermem --cmdline scenario=sockets examples/plugins/socket_monitor.py
from pandare2 import PyPlugin
from penguin import getColoredLogger, plugins

AF_INET = 2


class SocketMonitor(PyPlugin):
    def __init__(self, panda):
        self.panda = panda
        self.logger = getColoredLogger("plugins.socket_monitor")
        self.hyp = plugins.hypermem
        self.panda.hsyscall("on_sys_socket_enter")(
            self.hyp.wrap(self.on_socket))
        self.panda.hsyscall("on_sys_connect_enter")(
            self.hyp.wrap(self.on_connect))

    def on_socket(self, cpu, proto, syscall, hook, family, type_, protocol):
        pid = yield from self.hyp.get_proc_pid()
        self.logger.info(f"pid {pid} socket({family}, {type_}, {protocol})")

    def on_connect(self, cpu, proto, syscall, hook, fd, addr, addrlen):
        ptr = yield from self.hyp.read_ptr(addr)
        head = yield from self.hyp.read_int(addr)
        family, port = head & 0xffff, (head >> 24 | head >> 8 & 0xff00) & 0xffff
        ip = yield from self.hyp.read_int(addr + 4)
        self.logger.info(f"connect(fd {fd}): family {family} "
                         f"{ip & 0xff}.{ip >> 8 & 0xff}.{ip >> 16 & 0xff}."
                         f"{ip >> 24} port {port} (first 8 bytes {ptr:#018x})")
        if family == AF_INET and port == 8080:
            yield from self.hyp.write_int(addr, AF_INET | 80 << 24)
            info = yield from self.hyp.read_int(addr)
            self.logger.info(f"  port rewritten to 80 ({info:#010x})")
