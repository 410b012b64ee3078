# SPDX-License-Identifier: MIT
"""Lua and Python check a hook's filter with one piece of code
(bindings/filter.c): each bad filter is refused in both, in the same
words, operators ({ne = 1} in Lua, {"ne": 1} in Python) included, and
each good one is taken by both; Python's plugins no longer take a range
whose lo is above its hi.
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
    ("{fd = 'x'}", {"fd": "x"}, "filter fd: an integer, lo and hi for a "
     "range, or one operator and its value"),
    ("{fd = true}", {"fd": True}, "filter fd: an integer, lo and hi for a "
     "range, or one operator and its value"),
    ("{fd = {ne = 1, gt = 2}}", {"fd": {"ne": 1, "gt": 2}},
     "filter fd: an integer, lo and hi for a range, or one operator and "
     "its value"),
    ("{fd = {near = 1}}", {"fd": {"near": 1}},
     "filter fd: unknown operator 'near' (ne, gt, ge, lt, le, bits_set, "
     "bits_clear, str, prefix, suffix, contains, success, error)"),
    ("{fd = {ne = 'x'}}", {"fd": {"ne": "x"}}, "filter fd: ne takes an "
     "integer"),
    ("{fd = {bits_set = true}}", {"fd": {"bits_set": True}},
     "filter fd: bits_set takes an integer"),
    ("{fd = {lt = 0}}", {"fd": {"lt": 0}}, "filter fd: lt 0 matches "
     "nothing"),
    ("{fd = {prefix = 3}}", {"fd": {"prefix": 3}}, "filter fd: prefix "
     "takes a text of at most 255 bytes"),
    ("{fd = {str = '%s'}}" % ("x" * 256), {"fd": {"str": "x" * 256}},
     "filter fd: str takes a text of at most 255 bytes"),
    ("{pid = {contains = 'x'}}", {"pid": {"contains": "x"}},
     "filter pid: contains only on an argument (it reads the string the "
     "argument points to)"),
    ("{comm = {prefix = 'x'}}", {"comm": {"prefix": "x"}},
     "filter comm: a name of at most 15 bytes"),
    ("{fd = {success = true}}", {"fd": {"success": True}},
     "filter fd: success only on ret"),
)

# What only a return hook may say.
RETURN_CASES = (
    ("{ret = {error = 1}}", {"ret": {"error": 1}},
     "filter ret: error takes true"),
    ("{ret = {gt = 9223372036854775807}}",
     {"ret": {"gt": 9223372036854775807}},
     "filter ret: gt 9223372036854775807 matches nothing"),
    ("{ret = {suffix = 'x'}}", {"ret": {"suffix": "x"}},
     "filter ret: suffix only on an argument (it reads the string the "
     "argument points to)"),
)


def lua_error(filter_text, phase="enter"):
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write('hm.on_syscall("write", "%s", %s, function(ev) '
                     'end)\n' % (phase, filter_text))
        script.flush()
        out = subprocess.run([sys.argv[1], script.name],
                             capture_output=True, text=True, timeout=60)
    found = re.search(r"\.lua:\d+: (.*)", out.stderr)
    return out.returncode, found.group(1) if found else None


def python_error(how, kind=hypermem.ENTER):
    try:
        if "arg_filter" in how or "comm_filter" in how:
            Panda().hsyscall("on_sys_write_enter", **how)
        else:
            hypermem.Rule(kind, WRITE, how)
    except ValueError as e:
        return str(e)
    return "no error"


for lua, python, want in CASES:
    code, said = lua_error(lua)
    check(code == 1 and said == want, "Lua %s: %s" % (lua, said))
    said = python_error(python)
    check(said == want, "Python %r: %s" % (python, said))

for lua, python, want in RETURN_CASES:
    code, said = lua_error(lua, "return")
    check(code == 1 and said == want, "Lua %s: %s" % (lua, said))
    said = python_error(python, hypermem.RETURN)
    check(said == want, "Python %r: %s" % (python, said))

# Good filters with operators make rules in both languages (Lua's script
# loads without an error, whatever the run does next); a string operator
# fetches its argument's string.
GOOD = (
    ("{fd = {ne = 1}}", {"fd": {"ne": 1}}),
    ("{count = {bits_set = 0x41}, fd = {le = -1}}",
     {"count": {"bits_set": 0x41}, "fd": {"le": -1}}),
    ("{buf = {prefix = '/etc'}}", {"buf": {"prefix": "/etc"}}),
    ("{buf = {suffix = '/a/rather/long/path/name.conf'}}",
     {"buf": {"suffix": "/a/rather/long/path/name.conf"}}),
)
for lua, python in GOOD:
    code, said = lua_error(lua)
    check(said is None, "Lua %s: no error (%s)" % (lua, said))
    check(python_error(python) == "no error", "Python %r: a rule" % python)
check(python_error({"ret": {"success": True}}, hypermem.RETURN) ==
      "no error", "Python ret success: a rule")
code, said = lua_error("{ret = {error = true}}", "return")
check(said is None, "Lua ret error: no error (%s)" % said)
rule = hypermem.Rule(hypermem.ENTER, WRITE, {"buf": {"contains": "x"}})
check((hypermem.FETCH_STR, 1, 0, 256) in rule.fetches,
      "a string operator fetches its argument's string (%r)"
      % (rule.fetches,))

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
