# SPDX-License-Identifier: MIT
"""Lua and Python check a hook's filter with one piece of code
(bindings/filter.c): each bad filter is refused in both, in the same
words; Python's plugins no longer take a range whose lo is above its hi.
Nothing here boots a guest: both refuse while loading the script.

usage: test_filters.py HYPERMEM_RUN
"""
import re
import subprocess
import sys
import tempfile

import hypermem
from hypermem.runner import Panda
from tap import check, done

WRITE = hypermem.syscall_nr("write")

# A bad filter as a Lua hook states it, and as a Python plugin does:
# through panda.hsyscall()'s arguments or a Rule's filter.
CASES = (
    ("{arg1 = {5, 1}}", dict(arg_filter=[(5, 1)]),
     "filter arg1: lo is above hi"),
    ("{fd = {-1, -5}}", {"fd": (-1, -5)}, "filter fd: lo is above hi"),
    ("{comm = 'sixteen_bytes_xx'}", dict(comm_filter="sixteen_bytes_xx"),
     "filter comm: a name of at most 15 bytes"),
    ("{arg1 = 1, arg2 = 2, arg3 = 3, arg4 = 4, arg5 = 5}",
     dict(arg_filter=[1, 2, 3, 4, 5]), "filter: at most 4 conditions"),
    ("{bogus = 1}", {"bogus": 1},
     "filter: unknown key 'bogus' (pid, comm, ret, arg1..arg6 or the "
     "syscall's argument names)"),
    ("{ret = 0}", {"ret": 0}, "filter ret: only at \"return\""),
    ("{fd = 'x'}", {"fd": "x"}, "filter fd: an integer, or lo and hi for "
     "a range"),
)


def lua_error(filter_text):
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write('hm.on_syscall("write", "enter", %s, function(ev) '
                     'end)\n' % filter_text)
        script.flush()
        out = subprocess.run([sys.argv[1], script.name],
                             capture_output=True, text=True, timeout=60)
    found = re.search(r"\.lua:\d+: (.*)", out.stderr)
    return out.returncode, found.group(1) if found else out.stderr


def python_error(how):
    try:
        if "arg_filter" in how or "comm_filter" in how:
            Panda().hsyscall("on_sys_write_enter", **how)
        else:
            hypermem.Rule(hypermem.ENTER, WRITE, how)
    except ValueError as e:
        return str(e)
    return "no error"


for lua, python, want in CASES:
    code, said = lua_error(lua)
    check(code == 1 and said == want, "Lua %s: %s" % (lua, said))
    said = python_error(python)
    check(said == want, "Python %r: %s" % (python, said))

rule = hypermem.Rule(hypermem.ENTER, WRITE, {"fd": (1, 2), "count": 64})
check(rule.nr == WRITE and rule.kind == hypermem.ENTER,
      "a good filter makes a rule (%r, %r)" % (rule.kind, rule.nr))

# A plugin's write hook has the guest send what its handler reads, as a
# Lua hook does: buf's count bytes, the name behind fd, the argv.
panda = Panda()
panda.hsyscall("on_sys_write_enter")(print)
fetches = panda.rules()[0].fetches
check(fetches == ((hypermem.FETCH_BUF, 1, 2, 4096),
                  (hypermem.FETCH_FD_NAME, 0, 0, 0),
                  (hypermem.FETCH_ARGV, 0, 0, 4096)),
      "a write hook declares its fetches (%r)" % (fetches,))
done()
