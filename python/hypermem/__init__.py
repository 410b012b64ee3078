# SPDX-License-Identifier: MIT
"""hypermem: read and write a KVM guest's memory from Python, cooperatively.

A Machine boots guest-tiny (its ELF image, a command line such as
"scenario=ioctl") or, with linux=True, a Linux kernel with an initrd and a
command line, and calls its handler with an Event for each guest event.
The Event's methods are the operations on the process that raised it:
read_bytes, read_str, read_int, read_long, read_ptr, write_bytes,
write_str, write_int, write_long, write_ptr, get_proc_args (a list),
get_proc_env (a dict), get_proc_pid, read_fd_name, read_file,
read_socket_info, and the event control set_arg, skip, set_return
(OPERATIONS names them all; hypermem-run's Lua `hm` has the same, from
one definition). An operation the guest cannot do raises GuestError, an
OSError whose errno says why, whose op and addr say which operation on
which guest address (the fd, or the file offset), and whose where says
it in words ("0x10", "fd 3", the path). An exception in the handler stops
the guest, and Machine.run() raises it.

    import hypermem

    def handler(ev):
        if ev.phase == "enter" and ev.nr == hypermem.syscall_nr("ioctl"):
            print(ev.read_str(ev.args[2], 16))

    m = hypermem.Machine("guest-tiny.elf", cmdline="scenario=ioctl quiet",
                         handler=handler)
    m.subscribe([(hypermem.ENTER, hypermem.syscall_nr("ioctl"))])
    print(m.run())
"""
# ENTER: a syscall's entry, RETURN: its return, USER: an event a guest
# program raised itself, PROCESS: a process's life, nr EXEC, EXIT or FORK.
from ._core import (ENTER, EXEC, EXIT, FETCH_ARGV, FETCH_BUF, FETCH_FD_NAME,
                    FETCH_STR, FORK, MAX_CONDITIONS, OPERATIONS, PROCESS,
                    RETURN, USER, VERSION, Event, GuestError, Machine, Rule,
                    arch, set_arch, syscall_name, syscall_nr)

__version__ = VERSION

__all__ = ["OPERATIONS", "Event", "GuestError", "Machine", "Rule",
           "arch", "set_arch", "syscall_name", "syscall_nr", "ENTER", "RETURN", "USER",
           "PROCESS", "EXEC", "EXIT", "FORK", "MAX_CONDITIONS", "FETCH_STR",
           "FETCH_BUF", "FETCH_FD_NAME", "FETCH_ARGV"]
