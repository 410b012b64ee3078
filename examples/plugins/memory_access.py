# The original's memory access example: read the buffer a read() filled,
# write a string into it, read an integer back.
#
#   python3 -m hypermem --cmdline scenario=two examples/plugins/memory_access.py
from pandare2 import PyPlugin
from penguin import getColoredLogger, plugins


class MemoryAccess(PyPlugin):
    def __init__(self, panda):
        self.panda = panda
        self.logger = getColoredLogger("plugins.memory_access")
        self.hyp = plugins.hypermem
        self.panda.hsyscall("on_sys_read_return")(self.hyp.wrap(self.on_read))

    def on_read(self, cpu, proto, syscall, hook, fd, buf_addr, count):
        buffer_content = yield from self.hyp.read_str(buf_addr)
        self.logger.info(f"Read buffer content: {buffer_content}")
        yield from self.hyp.write_str(buf_addr, "Modified content")
        value = yield from self.hyp.read_int(buf_addr + 16)
        self.logger.info(f"Integer at buffer + 16: {value:#x}")
