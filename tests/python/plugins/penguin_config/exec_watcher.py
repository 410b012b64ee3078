# SPDX-License-Identifier: MIT
# Process events through penguin's publish/subscribe: Execs' exec_event
# and exit_monitor's proc_exit; and an event of its own, "worker_seen",
# that another plugin (listener.py) subscribes to.
from penguin import Plugin, plugins


class ExecWatcher(Plugin):
    def __init__(self):
        plugins.register(self, "worker_seen")
        plugins.subscribe(plugins.Execs, "exec_event", self.on_exec)
        plugins.subscribe(plugins.exit_monitor, "proc_exit", self.on_exit)
        plugins.exit_monitor.enable()
        self.logger.info(f"label {self.get_arg('label')}, proj_name "
                         f"{self.get_arg('proj_name')}")

    def on_exec(self, event):
        cwd = yield from plugins.osi.get_cwd()
        self.logger.info(f"exec {event.procname} {event.argv} env "
                         f"{sorted(event.envp)} pid {event.proc.pid} "
                         f"parent {event.parent and event.parent.pid} "
                         f"cwd {cwd}")
        if event.argv[0] == "worker":
            plugins.publish(self, "worker_seen", event.argv[1])

    def on_exit(self, cpu, event):
        self.logger.info(f"exit of pid {event.pid} {event.comm}: status "
                         f"{event.exit_status}, signaled {event.signaled}")
