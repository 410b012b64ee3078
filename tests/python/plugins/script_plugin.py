# SPDX-License-Identifier: MIT
# A plugin with no Plugin class runs as a script, with plugins, logger,
# panda and args in its globals; its uninit() runs at the run's end.
count = 0


@plugins.syscalls.syscall("on_sys_ioctl_enter")
def on_ioctl(regs, proto, syscall, fd, cmd, arg):
    global count
    count += 1
    logger.info(f"{proto.name}: nargs {proto.nargs} names {proto.names}, "
                f"regs rdi {regs.rdi} rsi {regs.get_syscall_arg(1):#x}, "
                f"label {args.label}, pid {syscall.pid} {syscall.task.comm}")
    regs.rdi = 99   # does nothing, as in penguin
    name = yield from plugins.osi.get_fd_name(fd)
    logger.info(f"fd {fd} is {name}; regs rdi still {regs.rdi}")


@plugins.syscalls.syscall("on_all_sys_return", comm_filter="ioctl_test")
def on_any(regs, proto, syscall):
    logger.info(f"return of {proto.name} = {syscall.retval}")


def uninit():
    logger.info(f"uninit: {count} ioctl")
