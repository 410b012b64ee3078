# SPDX-License-Identifier: MIT
"""Syscall names in Python are the guest architecture's: the host's own
until hypermem.set_arch() names another; a hook on a syscall the guest's
architecture does not have is refused, naming both. No guest, no KVM.

usage: test_arch.py
"""
import hypermem
from hypermem.runner import Panda
from tap import check, done

native = hypermem.arch()
check(native in ("x86_64", "aarch64"), "the host's own to start: " + native)

NUMBERS = {"x86_64": 257, "aarch64": 56, "arm": 322, "mipsel": 4288,
           "mips64el": 5247}
for name, nr in NUMBERS.items():
    hypermem.set_arch(name)
    check(hypermem.arch() == name and hypermem.syscall_nr("openat") == nr
          and hypermem.syscall_name(nr) == "openat",
          "%s: openat is %d" % (name, nr))

hypermem.set_arch("aarch64")
check(hypermem.syscall_nr("open") is None, "aarch64 has no open")
try:
    Panda().hsyscall("on_sys_open_enter")
    said = "no error"
except ValueError as e:
    said = str(e)
check(said == "hsyscall: 'on_sys_open_enter': aarch64 guests have no "
      "syscall 'open'", "a hook on open is refused: " + said)

try:
    hypermem.set_arch("mips")
    said = "no error"
except ValueError as e:
    said = str(e)
check(said.startswith("set_arch: unknown architecture 'mips'"),
      "an unknown architecture is refused: " + said)
check(hypermem.arch() == "aarch64", "and changes nothing")
done()
