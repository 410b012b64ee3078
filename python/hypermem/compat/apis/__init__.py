# SPDX-License-Identifier: MIT
"""penguin's `apis` package, as far as its plugins import names from it."""
