# SPDX-License-Identifier: MIT
"""python3 -m hypermem PLUGIN.py [options]: run a guest and a plugin."""
import sys

from .runner import main

sys.exit(main(sys.argv[1:]))
