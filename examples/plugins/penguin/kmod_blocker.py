# A kernel-module blocker in penguin's style: firmware loads its drivers'
# modules at boot, which a rehosted kernel cannot run; each finit_module()
# is skipped and returns 0, as if the module had loaded.
#
#   python3 -m hypermem --cmdline scenario=kmod \
#       examples/plugins/penguin/kmod_blocker.py
from penguin import Plugin, plugins


class KmodBlocker(Plugin):
    @plugins.syscalls.syscall("on_sys_finit_module_enter")
    def block(self, regs, proto, syscall, fd, uargs, flags):
        module = yield from plugins.osi.get_fd_name(fd)
        params = yield from plugins.mem.read_str(uargs)
        who = yield from plugins.osi.get_proc_name()
        self.logger.info(f"{who} loads {module} (params {params!r}, "
                         f"flags {flags}): skipped, returns 0")
        syscall.skip_syscall = True
        syscall.retval = 0
