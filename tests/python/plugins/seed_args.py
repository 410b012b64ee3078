# SPDX-License-Identifier: MIT
# The seed's plugins as penguin's hypermem era wrote them: get_arg,
# get_arg_bool, the outdir every plugin may ask for, and the names that
# era's hypermem also answered to (get_fd_name, get_proc_name,
# read_ptrlist, read_char_ptrlist).
import os

from pandare2 import PyPlugin
from penguin import getColoredLogger, plugins


class SeedArgs(PyPlugin):
    def __init__(self, panda):
        self.panda = panda
        self.outdir = self.get_arg("outdir")
        open(os.path.join(self.outdir, "execs.txt"), "w").close()
        self.logger = getColoredLogger("plugins.seed_args")
        self.logger.info(f"greeting {self.get_arg('greeting')!r}, loud "
                         f"{self.get_arg_bool('loud')}, quiet "
                         f"{self.get_arg_bool('quiet', default=True)}, "
                         f"missing {self.get_arg('missing')}")
        self.hyp = plugins.hypermem
        self.panda.hsyscall("on_sys_execve_enter")(
            self.hyp.wrap(self.on_execve))
        self.panda.hsyscall("on_sys_read_return")(
            self.hyp.wrap(self.on_read))

    def on_execve(self, cpu, proto, syscall, hook, filename, argv, envp):
        name = yield from self.hyp.get_proc_name()
        ptrs = yield from self.hyp.read_ptrlist(argv, 8)
        args = yield from self.hyp.read_char_ptrlist(argv, 8)
        self.logger.info(f"{name} execs {args} ({len(ptrs)} pointers)")
        with open(os.path.join(self.outdir, "execs.txt"), "a") as f:
            f.write(f"{name}: {' '.join(args)}\n")

    def on_read(self, cpu, proto, syscall, hook, fd, buf, count):
        fd_name = yield from self.hyp.get_fd_name(fd)
        self.logger.info(f"read fd {fd}: {fd_name}")

    def uninit(self):
        with open(os.path.join(self.outdir, "execs.txt")) as f:
            self.logger.info(f"uninit: outdir is a folder: "
                             f"{os.path.isdir(self.outdir)}; execs.txt: "
                             f"{f.read()!r}")
