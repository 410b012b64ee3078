# SPDX-License-Identifier: MIT
# penguin's ValueFilters, checked in the guest: each hook's handler sees
# only the events its filters let through (scenario two: worker alpha
# opens and reads /etc/hostname, worker beta writes and reads a socket).
from apis.syscalls import ValueFilter
from penguin import Plugin, plugins


class ValueFilters(Plugin):
    def __init__(self):
        hook = plugins.syscalls.syscall
        hook("on_sys_read_return", retval_filter=ValueFilter.greater(5))(
            self.log("read more than 5 bytes"))
        hook("on_sys_open_return",
             arg_filters=[ValueFilter.string_endswith("hostname")],
             retval_filter=ValueFilter.success())(self.log("opened"))
        hook("on_sys_write_enter", arg_filters=[ValueFilter.not_equal(1)])(
            self.log("wrote elsewhere than stdout"))
        hook("on_sys_socket_return",
             arg_filters=[ValueFilter.bitmask_set(2),
                          ValueFilter.bitmask_clear(8)])(
            self.log("made an AF_INET socket"))
        hook("on_sys_open_return",
             arg_filters=[ValueFilter.string_contains("passwd")])(
            self.log("never: no passwd"))

    def log(self, what):
        def handler(regs, proto, syscall, *args):
            at = "entry" if syscall.retval is None else \
                f"returned {syscall.retval}"
            self.logger.info(f"{syscall.task.comm} {syscall.pid} {what}: "
                             f"{proto.name}, {at}")
        return handler
