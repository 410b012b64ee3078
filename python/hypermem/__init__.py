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
from ._core import (OPERATIONS, VERSION, Event, GuestError, Machine,
                    syscall_name, syscall_nr)

__version__ = VERSION

ENTER = 1   # a syscall's entry
RETURN = 2  # its return
USER = 3    # an event a guest program raised itself
PROCESS = 4  # a process's life: nr EXEC, EXIT or FORK
EXEC, EXIT, FORK = 1, 2, 3

__all__ = ["OPERATIONS", "Event", "GuestError", "Machine", "syscall_name",
           "syscall_nr", "ENTER", "RETURN", "USER", "PROCESS", "EXEC",
           "EXIT", "FORK"]
