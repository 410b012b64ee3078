# SPDX-License-Identifier: MIT
"""Filter operators checked in guest-tiny (scenario paths): the guest
raises only the events a rule's operators let through, counted in the
Machine's handler, which sees every event the guest raises; a needle
longer than 16 bytes lets through what its first 16 do, and
Rule.matches() checks the whole of it on the host.

usage: test_filter_ops.py GUEST_TINY_ELF
"""
import sys

import hypermem
from tap import check, done

ELF = sys.argv[1]
OPENAT = hypermem.syscall_nr("openat")
WRITE = hypermem.syscall_nr("write")
README = "/usr/share/doc/libc6/README"


def raised(rule):
    """What the guest raised under the one rule: (what, passes)."""
    events = []

    def handler(ev):
        what = (ev.read_str(ev.args[1], 256) if ev.nr == OPENAT
                else "fd %d" % ev.args[0])
        events.append((what, rule.matches(ev)))

    m = hypermem.Machine(ELF, cmdline="scenario=paths quiet", timeout=30,
                         handler=handler)
    m.subscribe([rule])
    result = m.run()
    check(result["all_done"] == 1 and result["failed"] == 0,
          "the opener ran (%r)" % (result,))
    return events


CASES = (
    (hypermem.ENTER, OPENAT, {"filename": {"prefix": "/etc/"}},
     [("/etc/hostname", True), ("/etc/motd", True)]),
    (hypermem.ENTER, OPENAT, {"flags": {"bits_set": 0o100}},
     [("/etc/motd", True), ("/usr/share/doc/libzz/README", True)]),
    (hypermem.ENTER, OPENAT, {"flags": {"bits_clear": 0o1101},
                              "filename": {"suffix": "version"}},
     [("/proc/version", True)]),
    (hypermem.RETURN, OPENAT, {"ret": {"error": True},
                               "filename": {"contains": "libzz"}},
     [("/usr/share/doc/libzz/README", True)]),
    (hypermem.RETURN, OPENAT, {"ret": {"success": True},
                               "dfd": {"ne": -100}}, []),
    (hypermem.ENTER, WRITE, {"fd": {"ne": 1}}, [("fd 2", True)]),
    # The guest checks the needle's first 16 bytes, the host all of it.
    (hypermem.ENTER, OPENAT, {"filename": {"str": README}},
     [(README, True), ("/usr/share/doc/libzz/README", False)]),
)

for kind, nr, filt, want in CASES:
    got = raised(hypermem.Rule(kind, nr, filt))
    check(got == want, "%r raised %r" % (filt, got))
done()
