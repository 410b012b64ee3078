# SPDX-License-Identifier: MIT
"""`from penguin import Plugin, plugins, PluginArgs, getColoredLogger`
for the plugins python3 -m hypermem runs: penguin's API over hypermem
(hypermem.penguin). Found only on those plugins' path, so it never
shadows a real penguin."""
from hypermem.penguin import (ArgsBox, HypermemUnsupported, Plugin,
                              PluginArgs, getColoredLogger, plugins)

__all__ = ["ArgsBox", "HypermemUnsupported", "Plugin", "PluginArgs",
           "getColoredLogger", "plugins"]
