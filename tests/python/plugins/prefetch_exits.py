# SPDX-License-Identifier: MIT
"""What a Python hook costs, counted: guest-tiny's benchmark (scenario
hooked) writes 64 bytes to a socket 2,000 times; the handler reads each
buffer and the name behind its fd, both of which the guest sends with the
event (the hook's declared fetches), so that an event takes its own exit
and no round trip: 1 VM exit per event, where asking would take 3."""
from hypermem.plugin import PyPlugin, plugins

WRITES = 2000   # TINY_BENCH_SYSCALLS
LINE = b"GET /index.html HTTP/1.0\r\n".ljust(64, b"\0")


class PrefetchExits(PyPlugin):
    def __init__(self, panda):
        self.hyp = plugins.hypermem
        self.exits = []
        self.read = 0
        panda.hsyscall("on_sys_write_enter", arg_filter=[None, None, 64])(
            self.hyp.wrap(self.on_write))

    def on_write(self, cpu, proto, syscall, hook, fd, buf, count):
        self.exits.append(self.hyp.exits())
        data = yield from self.hyp.read_bytes(buf, count)
        name = yield from self.hyp.read_fd_name(fd)
        self.read += data == LINE and name.startswith("socket:[")
        if len(self.exits) == WRITES:
            per = (self.exits[-1] - self.exits[0]) / (WRITES - 1)
            print(f"{self.read} socket writes, their buffer and fd name "
                  f"read: {per:.3f} exits per event")
