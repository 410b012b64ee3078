# SPDX-License-Identifier: MIT
"""The extension's objects without a guest (no KVM needed): a Machine
made twice keeps one reference to its handler and console, a Machine in a
cycle with its handler is collected, and the tuples the module builds
raise MemoryError, never hold a hole, when an allocation fails.

usage: test_objects.py
"""
import gc
import sys
import weakref

import hypermem
from tap import check, done


def handler(ev):
    pass


# A Machine whose __init__ fails (no KVM here, or no such image) keeps
# what it was given; a second __init__ replaces it rather than leak it.
m = hypermem.Machine.__new__(hypermem.Machine)
before = sys.getrefcount(handler)
for _ in range(3):
    try:
        m.__init__("/nonexistent/guest.elf", handler=handler,
                   console=handler)
    except OSError:
        pass
check(sys.getrefcount(handler) - before == 2,
      "three __init__ calls hold handler and console once each (+%d)"
      % (sys.getrefcount(handler) - before))
del m
check(sys.getrefcount(handler) == before,
      "the Machine gone, so are its references")


class Token:
    pass


def machine_in_a_cycle():
    """A handler that holds its Machine, as a plugin's closure does."""
    m = hypermem.Machine.__new__(hypermem.Machine)
    token = Token()

    def on_event(ev, m=m, token=token):
        m.stop()
    try:
        m.__init__("/nonexistent/guest.elf", handler=on_event)
    except OSError:
        pass
    return weakref.ref(token)


token = machine_in_a_cycle()
gc.collect()
check(token() is None, "a Machine and its handler in a cycle are collected")

# Each allocation of syscall_args() failing in turn: MemoryError, or the
# whole tuple; never a tuple with a hole (SystemError, or a crash).
try:
    import _testcapi
except ImportError:
    _testcapi = None
if _testcapi is None:
    print("# skip: no _testcapi to fail allocations with")
else:
    read_nr = hypermem.syscall_nr("read")
    results = set()
    for n in range(1, 12):
        names = error = None
        _testcapi.set_nomemory(n, n + 1)
        try:
            names = hypermem._core.syscall_args(read_nr)
        except BaseException as e:
            error = e
        finally:
            _testcapi.remove_mem_hooks()
        if error is not None:
            results.add(type(error).__name__)
        else:
            results.add("ok" if names == ("fd", "buf", "count") else
                        "wrong %r" % (names,))
    check(results <= {"ok", "MemoryError"} and "MemoryError" in results,
          "syscall_args under failing allocations (%s)"
          % ", ".join(sorted(results)))

done()
