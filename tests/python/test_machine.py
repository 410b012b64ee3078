# SPDX-License-Identifier: MIT
"""The hypermem package against guest-tiny in KVM: the ioctl interaction
through Event methods, a failing operation (GuestError with errno, op and
address), an Event kept past its handler, a handler's exception raised by
Machine.run(), and a subscription.

usage: test_machine.py GUEST_TINY_ELF
"""
import errno
import sys

import hypermem

ELF = sys.argv[1]
IOCTL = hypermem.syscall_nr("ioctl")
failures = 0


def check(ok, what):
    global failures
    print(("ok - " if ok else "not ok - ") + what, flush=True)
    if not ok:
        failures += 1


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

# A guest image that is not there: OSError naming it.
try:
    hypermem.Machine("/nonexistent/guest.elf")
    check(False, "a missing image raises OSError")
except OSError as e:
    check(e.filename == "/nonexistent/guest.elf",
          "a missing image raises OSError naming it (%s)" % e)

sys.exit(1 if failures else 0)
