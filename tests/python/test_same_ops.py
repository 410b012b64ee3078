# SPDX-License-Identifier: MIT
"""Lua and Python get their operations from one definition
(bindings/ops.c): every name in hypermem.OPERATIONS is a function of
hypermem-run's `hm` and a method of hypermem.Event, and nothing more.

usage: test_same_ops.py HYPERMEM_RUN
"""
import subprocess
import sys
import tempfile

import hypermem

# hm's own functions, which are not operations on a process (Python's
# are the module's: hypermem.arch(), syscall_name(), ...).
LUA_ONLY = {"on_syscall", "on_user_event", "on_process", "stop",
            "syscall_name", "arch", "pointer_size"}

with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
    script.write("local names = {}\n"
                 "for k, v in pairs(hm) do\n"
                 "  if type(v) == 'function' then names[#names + 1] = k end\n"
                 "end\n"
                 "table.sort(names)\n"
                 "print(table.concat(names, ' '))\n")
    script.flush()
    out = subprocess.run([sys.argv[1], "-q", "--cmdline", "scenario=two",
                          "--timeout", "30", script.name],
                         capture_output=True, text=True, timeout=60)
lua = set(out.stdout.split()) - LUA_ONLY
python = set(hypermem.OPERATIONS)
methods = {n for n in dir(hypermem.Event) if not n.startswith("_")}
methods -= {"phase", "nr", "args", "ret", "pid", "comm", "cpu", "exits"}
print("lua:", " ".join(sorted(lua)))
print("python:", " ".join(sorted(python)))
ok = out.returncode == 0 and lua == python == methods and len(python) >= 19
print("ok" if ok else "not ok: %r %r" % (out.returncode, out.stderr))
sys.exit(0 if ok else 1)
