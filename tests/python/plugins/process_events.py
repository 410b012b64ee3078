# SPDX-License-Identifier: MIT
"""Process events in Python: guest-tiny's shell execs /bin/worker, which
exits; the exec handler sees the new image, the exit handler the status."""
from hypermem.plugin import PyPlugin, getColoredLogger, plugins


class ProcessEvents(PyPlugin):
    def __init__(self, panda):
        self.panda = panda
        self.logger = getColoredLogger("plugins.process_events")
        self.hyp = plugins.hypermem
        self.panda.on_process("exec")(self.hyp.wrap(self.on_exec))
        self.panda.on_process("exit")(self.on_exit)

    def on_exec(self, cpu, event):
        exe = yield from self.hyp.exe()
        argv = yield from self.hyp.get_proc_args()
        self.logger.info(f"{event.kind}: tid {event.tid} tgid {event.tgid} "
                         f"was {event.old_tid}, {event.comm}: {exe} {argv}")

    def on_exit(self, cpu, event):
        self.logger.info(f"{event.kind}: tid {event.tid} status "
                         f"{event.status >> 8} last {event.last}")
