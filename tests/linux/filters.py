# SPDX-License-Identifier: MIT
"""Filter operators checked by the Linux module (x86-64, one vCPU): the
guest runs cat on three /proc files (hmrun); under each rule the module
raises only the openat() calls its operators let through, reading the
path from user memory in the syscall's tracepoint, and the Machine's
handler, which sees every event raised, counts them. A needle longer
than 16 bytes lets through what its first 16 do; Rule.matches() checks
the whole of it.

usage: filters.py VMLINUX INITRAMFS
"""
import sys

import hypermem
from tap import check, done

VMLINUX, INITRD = sys.argv[1:3]
OPENAT = hypermem.syscall_nr("openat")
HOSTNAME = "/proc/sys/kernel/hostname"
FILES = ["/proc/version", HOSTNAME, "/proc/sys/kernel/ostype"]
CMDLINE = ("console=ttyS0 rdinit=/init panic=-1 quiet hmrun=cat," +
           ",".join(FILES))


def raised(filt):
    events = []
    rule = hypermem.Rule(hypermem.ENTER, OPENAT, filt)

    def handler(ev):
        events.append((ev.read_str(ev.args[1], 256), rule.matches(ev)))

    m = hypermem.Machine(VMLINUX, linux=True, initrd=INITRD,
                         cmdline=CMDLINE, timeout=240, handler=handler,
                         console=lambda cpu, text: None)
    m.subscribe([rule])
    m.run()
    return events


got = raised({"filename": {"suffix": "version"}})
check(got == [("/proc/version", True)],
      "suffix: only /proc/version raised (%r)" % (got,))
got = raised({"filename": {"str": HOSTNAME}, "flags": {"bits_clear": 3}})
check(got == [(HOSTNAME, True), ("/proc/sys/kernel/ostype", False)],
      "a long needle: its first 16 bytes in the guest, all of it on the "
      "host (%r)" % (got,))
done()
