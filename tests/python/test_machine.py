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
    seen["event"] = ev


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
