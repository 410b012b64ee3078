# SPDX-License-Identifier: MIT
"""The hypermem package against guest-tiny in KVM: the ioctl interaction
through Event methods, a failing operation (GuestError with errno, op and
address), an Event kept past its handler, a handler's exception raised by
Machine.run(), a subscription, an Event used from other threads, and
Ctrl-C while run() waits.

usage: test_machine.py GUEST_TINY_ELF
"""
import errno
import os
import signal
import sys
import threading
import time

import hypermem
from tap import check, done

ELF = sys.argv[1]
IOCTL = hypermem.syscall_nr("ioctl")


def machine(cmdline, handler):
    return hypermem.Machine(ELF, cmdline=cmdline + " quiet", timeout=30,
                            handler=handler)


# The original interaction: read the request, write it, the guest checks.
seen = {}


def ioctl_handler(ev):
    seen.setdefault("phases", set()).add((ev.phase, ev.nr))
    if ev.phase != "enter" or ev.nr != IOCTL:
        return
    req = ev.args[2]
    seen["name"] = ev.read_str(req, 16)
    seen["value"] = ev.read_int(req + 16)
    seen["pid"] = ev.get_proc_pid()
    seen["argv"] = ev.get_proc_args()
    seen["env"] = ev.get_proc_env()
    seen["fd"] = ev.read_fd_name(ev.args[0])
    ev.write_str(req, "test")
    ev.write_int(req + 16, 0x12345678)
    try:
        ev.read_int(0)
    except hypermem.GuestError as e:
        seen["error"] = (e.errno, e.op, e.addr, isinstance(e, OSError))
    try:
        ev.read_fd_name(77)
    except hypermem.GuestError as e:
        seen["fd_error"] = (e.errno, e.op, e.addr, e.where)
    seen["misuse"] = [misuse(ev, *call) for call in MISUSES]
    seen["tasks"] = [(t["pid"], t["comm"], t["state"], t["kthread"])
                     for t in ev.processes()]
    seen["maps"] = [(m["perms"], m["name"]) for m in ev.maps()]
    seen["fds"] = [(f["fd"], f["name"]) for f in ev.fds(ev.pid)]
    seen["paths"] = (ev.exe(), ev.cwd())
    seen["written"] = (ev.write_file("/etc/py.conf", b"hello"),
                       ev.write_file("/etc/py.conf", "J", 0),
                       ev.read_file("/etc/py.conf"))
    try:
        ev.maps(99)
    except hypermem.GuestError as e:
        seen["maps_error"] = (e.errno, e.op, e.addr, e.where)
    seen["event"] = ev


# Mistakes in a call raise before the guest is asked: the argument
# conventions are bindings/ops.c's, the same as Lua's.
MISUSES = (
    ("read_bytes", 0x1000),
    ("read_bytes", 0x1000, -1),
    ("read_bytes", 0x1000, 1, 2),
    ("write_str", 0x1000, "a\0b"),
    ("write_int", 0x1000, 1 << 32),
    ("read_long", "0x1000"),
    ("set_arg", 6, 0),
    ("set_return", 0),
)


def misuse(ev, name, *args):
    try:
        getattr(ev, name)(*args)
    except Exception as e:
        return "%s: %s" % (type(e).__name__, e)
    return "no error"


WANT_MISUSE = [
    "TypeError: read_bytes(addr, len): 1 given",
    "ValueError: read_bytes: len: 0 to 16777216",
    "TypeError: read_bytes(addr, len): 3 given",
    "ValueError: write_str: text: text with a NUL byte",
    "ValueError: write_int: value: -2147483648 to 4294967295",
    "TypeError: 'str' object cannot be interpreted as an integer",
    "IndexError: set_arg: index: 0 to 5",
    "ValueError: set_return: the return value changes only at a return",
]


m = machine("scenario=ioctl", ioctl_handler)
m.subscribe([(hypermem.ENTER, IOCTL)])
result = m.run()
check(result["all_done"] == 1 and result["failed"] == 0,
      "the guest's ioctl test passes (%r)" % (result,))
check(seen.get("name") == "eth0" and seen.get("value") == 42,
      "read_str and read_int see the request (%r, %r)"
      % (seen.get("name"), seen.get("value")))
check(seen.get("argv") == ["ioctl_test", "eth0"],
      "get_proc_args is a list (%r)" % (seen.get("argv"),))
check(seen.get("env") == {"PATH": "/bin", "TEST": "ioctl"},
      "get_proc_env is a dict (%r)" % (seen.get("env"),))
check(isinstance(seen.get("pid"), int) and seen.get("fd"),
      "get_proc_pid and read_fd_name (%r, %r)"
      % (seen.get("pid"), seen.get("fd")))
check(seen.get("error") == (errno.EFAULT, "read_int", 0, True),
      "a failed read raises GuestError with errno, op and address (%r)"
      % (seen.get("error"),))
check(seen.get("fd_error") == (errno.EBADF, "read_fd_name", 77, "fd 77"),
      "a bad fd raises GuestError naming it (%r)" % (seen.get("fd_error"),))
for got, want in zip(seen.get("misuse", []), WANT_MISUSE):
    check(got == want, "misuse: %s" % got)
check(len(seen.get("misuse", [])) == len(WANT_MISUSE), "every misuse ran")
check(seen.get("tasks") == [(1, "ioctl_test", "R", False)],
      "processes() lists guest-tiny's one task (%r)" % (seen.get("tasks"),))
check(seen.get("maps") == [("r-xp", "/bin/ioctl_test"), ("rw-p", ""),
                           ("r--p", ""), ("rw-p", "[stack]")],
      "maps() names the text and the stack (%r)" % (seen.get("maps"),))
check(seen.get("fds") == [(0, "/dev/ttyS0"), (1, "/dev/ttyS0"),
                          (2, "/dev/ttyS0"), (3, "socket:[4100]")],
      "fds(pid) lists the open files (%r)" % (seen.get("fds"),))
check(seen.get("paths") == ("/bin/ioctl_test", "/"),
      "exe() and cwd() (%r)" % (seen.get("paths"),))
check(seen.get("written") == (5, 1, b"Jello"),
      "write_file() writes, read_file() reads it back (%r)"
      % (seen.get("written"),))
check(seen.get("maps_error") == (errno.ESRCH, "maps", None, "pid 99"),
      "maps() of no process raises GuestError naming the pid (%r)"
      % (seen.get("maps_error"),))
check(set(hypermem.OPERATIONS) <= set(dir(hypermem.Event)) and
      hypermem.Event.read_str.__doc__.startswith("read_str(addr[, max])"),
      "every shared operation is an Event method with its doc")
check(seen.get("phases") == {("enter", IOCTL)},
      "the subscription: ioctl entries alone (%r)" % (seen.get("phases"),))
try:
    seen["event"].read_int(0)
    check(False, "an Event past its handler refuses operations")
except RuntimeError as e:
    check("outside its event's handler" in str(e),
          "an Event past its handler refuses operations (%s)" % e)


# A handler's exception stops the guest and comes out of run().
def failing_handler(ev):
    raise ZeroDivisionError("from the handler")


m = machine("scenario=ioctl", failing_handler)
try:
    m.run()
    check(False, "run() raises the handler's exception")
except ZeroDivisionError as e:
    check(str(e) == "from the handler",
          "run() raises the handler's exception")


# Two threads on one Event: their requests take turns, none fails.
shared = {}


def shared_handler(ev):
    if ev.phase != "enter" or ev.nr != IOCTL or "reads" in shared:
        return
    reads = shared["reads"] = []

    def reader():
        for _ in range(200):
            try:
                reads.append(ev.read_str(ev.args[2], 16))
            except Exception as e:
                reads.append("%s: %s" % (type(e).__name__, e))
    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


m = machine("scenario=ioctl", shared_handler)
m.run()
bad = [r for r in shared.get("reads", []) if r != "eth0"]
check(len(shared.get("reads", [])) == 400 and not bad,
      "two threads read through one Event (%d reads, wrong: %r)"
      % (len(shared.get("reads", [])), bad[:3]))


# ev.args with each of its allocations failing in turn: MemoryError or
# the whole tuple, never a tuple with a hole (SystemError).
try:
    import _testcapi
except ImportError:
    _testcapi = None
args_results = set()


def args_handler(ev):
    if ev.phase != "enter" or ev.nr != IOCTL or args_results:
        return
    for n in range(1, 10):
        got = error = None
        _testcapi.set_nomemory(n, n + 1)
        try:
            got = ev.args
        except BaseException as e:
            error = e
        finally:
            _testcapi.remove_mem_hooks()
        # A hole (NULL) is only seen by touching it: a crash.
        args_results.add(type(error).__name__ if error is not None else
                         "ok" if len(got) == 6 and
                         all(type(a) is int for a in got) else "wrong")


if _testcapi is None:
    print("# skip: no _testcapi to fail allocations with")
else:
    m = machine("scenario=ioctl", args_handler)
    m.run()
    check(args_results <= {"ok", "MemoryError"} and
          "MemoryError" in args_results,
          "ev.args under failing allocations (%s)"
          % ", ".join(sorted(args_results)))


# Ctrl-C while run() waits and a handler's operations go on: run()
# raises KeyboardInterrupt at once, the guest stopped.
interrupted = {}


def interrupting_handler(ev):
    if ev.phase != "enter" or ev.nr != IOCTL or "at" in interrupted:
        return
    interrupted["at"] = time.monotonic()
    os.kill(os.getpid(), signal.SIGINT)
    try:
        while True:
            ev.read_int(ev.args[2])
    except hypermem.GuestError as e:
        interrupted["error"] = e.errno


m = machine("scenario=ioctl", interrupting_handler)
signal.signal(signal.SIGINT, signal.default_int_handler)
try:
    m.run()
    check(False, "Ctrl-C ends run() with KeyboardInterrupt (it returned)")
except KeyboardInterrupt:
    took = time.monotonic() - interrupted.get("at", 0)
    check(took < 5, "Ctrl-C ends run() with KeyboardInterrupt (%.2f s)"
          % took)
except Exception as e:
    check(False, "Ctrl-C ends run() with KeyboardInterrupt (%s: %s)"
          % (type(e).__name__, e))
check(interrupted.get("error") == errno.ECANCELED,
      "the handler's operation is canceled (%s)"
      % interrupted.get("error"))

# Another thread's operation whose argument is converted while the
# handler returns: RuntimeError, not an operation on no vCPU.
class SlowAddress:
    def __init__(self, addr, converting):
        self.addr = addr
        self.converting = converting

    def __index__(self):
        self.converting.set()
        time.sleep(0.5)
        return self.addr


late = {}


def late_handler(ev):
    if ev.phase != "enter" or ev.nr != IOCTL or "thread" in late:
        return
    converting = threading.Event()

    def worker():
        try:
            ev.read_int(SlowAddress(ev.args[2], converting))
            late["result"] = "no error"
        except Exception as e:
            late["result"] = "%s: %s" % (type(e).__name__, e)
    late["thread"] = threading.Thread(target=worker)
    late["thread"].start()
    converting.wait()


m = machine("scenario=ioctl", late_handler)
m.run()
late["thread"].join()
check(late.get("result") ==
      "RuntimeError: operation outside its event's handler",
      "an operation converted past its handler's return refuses (%s)"
      % late.get("result"))


# A guest image that is not there: OSError naming it.
try:
    hypermem.Machine("/nonexistent/guest.elf")
    check(False, "a missing image raises OSError")
except OSError as e:
    check(e.filename == "/nonexistent/guest.elf",
          "a missing image raises OSError naming it (%s)" % e)

done()
