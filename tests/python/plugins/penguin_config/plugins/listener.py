# SPDX-License-Identifier: MIT
# Subscribes to another plugin's event; found in the config's plugins/.
from penguin import Plugin, plugins


class Listener(Plugin):
    def __init__(self):
        plugins.subscribe(plugins.exec_watcher, "worker_seen", self.seen)

    def seen(self, name):
        self.logger.info(f"a worker named {name}")
