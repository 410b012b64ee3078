# The buffer inspector: on write(), read the whole buffer; if it is an HTTP
# request, rewrite its User-Agent, write the new bytes back and give the
# syscall the new length.
#
#   python3 -m hypermem --cmdline scenario=http examples/plugins/buffer_inspector.py
import re

from pandare2 import PyPlugin
from penguin import getColoredLogger, plugins

AGENT = b"hypermem/0.1 (inspected)"
ROOM = 512


class BufferInspector(PyPlugin):
    def __init__(self, panda):
        self.panda = panda
        self.logger = getColoredLogger("plugins.buffer_inspector")
        self.hyp = plugins.hypermem
        self.panda.hsyscall("on_sys_write_enter")(
            self.hyp.wrap(self.on_write))

    def on_write(self, cpu, proto, syscall, hook, fd, buf, count):
        data = yield from self.hyp.read_bytes(buf, count)
        if not re.match(rb"[A-Z]+ \S+ HTTP/\d\.\d\r\n", data):
            return
        self.logger.info(f"{count}-byte HTTP request: {data!r}")
        modified, n = re.subn(rb"\r\nUser-Agent: [^\r]*\r\n",
                              b"\r\nUser-Agent: " + AGENT + b"\r\n", data,
                              count=1)
        if not n or len(modified) > ROOM:
            return
        yield from self.hyp.write_bytes(buf, modified)
        syscall.args[2] = len(modified)
        self.logger.info(f"rewrote it: {count} -> {len(modified)} bytes")
