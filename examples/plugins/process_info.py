# Process info: on execve(), who runs what: the caller's argv, environment
# and pid, and the program it starts.
#
#   python3 -m hypermem --cmdline scenario=exec examples/plugins/process_info.py
from pandare2 import PyPlugin
from penguin import getColoredLogger, plugins


class ProcessInfo(PyPlugin):
    def __init__(self, panda):
        self.panda = panda
        self.logger = getColoredLogger("plugins.process_info")
        self.hyp = plugins.hypermem
        self.panda.hsyscall("on_sys_execve_enter")(
            self.hyp.wrap(self.on_execve))

    def on_execve(self, cpu, proto, syscall, hook, filename, argv, envp):
        path = yield from self.hyp.read_str(filename)
        args = yield from self.hyp.get_proc_args()
        env = yield from self.hyp.get_proc_env()
        pid = yield from self.hyp.get_proc_pid()
        self.logger.info(f"pid {pid} {args} execve({path!r})")
        for name in sorted(env):
            self.logger.info(f"  {name}={env[name]}")
