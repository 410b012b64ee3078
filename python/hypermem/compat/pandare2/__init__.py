# SPDX-License-Identifier: MIT
"""`from pandare2 import PyPlugin` for the plugins python3 -m hypermem
runs: the original's vocabulary (hypermem.plugin). Found only on those
plugins' path, so it never shadows a real pandare2."""
from hypermem.plugin import PyPlugin

__all__ = ["PyPlugin"]
