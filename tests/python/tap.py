# SPDX-License-Identifier: MIT
"""The Python tests' checks: each prints "ok - WHAT" or "not ok - WHAT",
and done() exits 1 when any failed."""
import sys

failures = 0


def check(ok, what):
    global failures
    print(("ok - " if ok else "not ok - ") + what, flush=True)
    if not ok:
        failures += 1


def done():
    sys.exit(1 if failures else 0)
