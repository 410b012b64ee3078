# SPDX-License-Identifier: MIT
"""Each of penguin's ValueFilters makes a rule: hypermem's filter
mappings take every condition they map onto (filter.c's operators).

usage: test_penguin_filters.py
"""
from hypermem.manager import plugins
from hypermem.penguin import ValueFilter as VF
from hypermem.runner import Panda
from tap import check, done

plugins.panda = Panda()
CASES = (
    ("read", dict(arg_filters=[VF.not_equal(0)])),
    ("read", dict(arg_filters=[VF.greater(2), None, VF.less_equal(64)])),
    ("read", dict(arg_filters=[VF.greater_equal(0), None, VF.less(9)])),
    ("read", dict(arg_filters=[VF.range(0, 9)])),
    ("open", dict(arg_filters=[None, VF.bitmask_set(0x40)])),
    ("open", dict(arg_filters=[None, VF.bitmask_clear(0x200)])),
    ("open", dict(arg_filters=[VF.string_exact("/etc/passwd")])),
    ("open", dict(arg_filters=[VF.string_contains("pass")])),
    ("open", dict(arg_filters=[VF.string_startswith("/etc/")])),
    ("open", dict(arg_filters=[VF.string_endswith(".conf")])),
    ("open", dict(arg_filters=["/etc/"])),
    ("on_sys_read_return", dict(retval_filter=VF.success())),
    ("on_sys_read_return", dict(retval_filter=VF.error())),
    ("on_sys_read_return", dict(retval_filter=VF.exact(-2), pid_filter=1,
                                comm_filter="sh")),
)
for name, filters in CASES:
    try:
        plugins.syscalls.syscall(name, **filters)(print)
        said = "a rule"
    except (TypeError, ValueError) as e:
        said = str(e)
    check(said == "a rule", "%s %r: %s" % (name, filters, said))
check(len(plugins.panda.rules()) == len(CASES), "one rule each")
done()
