# SPDX-License-Identifier: MIT
"""penguin's plugins.mem, plugins.osi and plugins.fs over hypermem's
operations, each a generator for `yield from` in a handler; and
plugins.execs and plugins.exit_monitor over hypermem's process events.
A failed operation raises hypermem.GuestError (penguin's return None).
"""
import errno

from . import _core
from .manager import HypermemUnsupported, plugins
from .plugin import Op


# ---- plugins.mem, plugins.osi, plugins.fs ----

def _op(name, *args):
    return (yield Op(name, args))


def _in(pid, gen):
    """gen's operations on process pid (None: the event's)."""
    if pid is None:
        return (yield from gen)
    yield Op("use_process", (pid,))
    try:
        return (yield from gen)
    finally:
        yield Op("use_process", (0,))


def _text(data):
    return data.encode("latin-1") if isinstance(data, str) else data


class Mem:
    """plugins.mem: guest memory, each a generator (`yield from`); pid=
    another process's, through use_process."""

    def read_bytes(self, addr, size, pid=None):
        return (yield from _in(pid, _op("read_bytes", addr, size)))

    def read_str(self, addr, pid=None):
        return (yield from _in(pid, _op("read_str", addr)))

    read_utf8_str = read_str

    def read_byte(self, addr, pid=None):
        return (yield from self.read_bytes(addr, 1, pid))[0]

    def read_word(self, addr, pid=None):
        data = yield from self.read_bytes(addr, 2, pid)
        return int.from_bytes(data, "little")

    def read_int(self, addr, pid=None):
        return (yield from _in(pid, _op("read_int", addr)))

    def read_long(self, addr, pid=None):
        return (yield from _in(pid, _op("read_long", addr)))

    def read_ptr(self, addr, pid=None):
        return (yield from _in(pid, _op("read_ptr", addr)))

    def write_bytes(self, addr, data, pid=None):
        yield from _in(pid, _op("write_bytes", addr, _text(data)))
        return len(data)

    def write_str(self, addr, string, null_terminate=True, pid=None):
        data = _text(string) + (b"\0" if null_terminate else b"")
        return (yield from self.write_bytes(addr, data, pid))

    def write_byte(self, addr, value, pid=None):
        return (yield from self.write_bytes(addr, bytes([value & 0xff]),
                                            pid))

    def write_word(self, addr, value, pid=None):
        return (yield from self.write_bytes(
            addr, (value & 0xffff).to_bytes(2, "little"), pid))

    def write_int(self, addr, value, pid=None):
        yield from _in(pid, _op("write_int", addr, value))
        return 4

    def write_long(self, addr, value, pid=None):
        yield from _in(pid, _op("write_long", addr, value))
        return 8

    def write_ptr(self, addr, value, pid=None):
        yield from _in(pid, _op("write_ptr", addr, value))
        return 8

    def read_ptrlist(self, addr, length, pid=None):
        return (yield from _in(pid, plugins.hypermem.read_ptrlist(addr,
                                                                  length)))

    def read_char_ptrlist(self, addr, length, pid=None):
        return (yield from _in(pid, plugins.hypermem.read_char_ptrlist(
            addr, length)))

    def read_ptr_array(self, addr, pid=None):
        """The strings of a NULL-terminated array of char * (argv)."""
        return (yield from self.read_char_ptrlist(addr, 4096, pid))

    def _array(self, addr, count, size, pid):
        data = yield from self.read_bytes(addr, count * size, pid)
        return [int.from_bytes(data[i:i + size], "little")
                for i in range(0, len(data) - size + 1, size)]

    def read_int_array(self, addr, count, pid=None):
        return (yield from self._array(addr, count, 4, pid))

    def read_long_array(self, addr, count, pid=None):
        return (yield from self._array(addr, count, 8, pid))

    read_uint64_array = read_long_array

    def write_int_array(self, addr, values, pid=None):
        data = b"".join((v & 0xffffffff).to_bytes(4, "little")
                        for v in values)
        return (yield from self.write_bytes(addr, data, pid))

    def memset(self, addr, value, size, pid=None):
        return (yield from self.write_bytes(addr, bytes([value & 0xff]) *
                                            size, pid))

    def memcmp(self, addr1, addr2, size, pid=None):
        a = yield from self.read_bytes(addr1, size, pid)
        b = yield from self.read_bytes(addr2, size, pid)
        return a == b

    def _guest_buffer(self, *args, **kwargs):
        raise HypermemUnsupported(
            "plugins.mem: hypermem reads and writes the process's own "
            "memory; it allocates none in the guest and has no typed "
            "(kernel FFI) reads: write into a buffer the process gave")

    copy_buf_guest = write_deref = read = write = read_bytes_panda = \
        write_bytes_panda = _guest_buffer


class Record(dict):
    """A dict whose keys read as attributes too (penguin's wrappers)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


_VM = {"r": 1, "w": 2, "x": 4, "s": 0x80}


class Mapping(Record):
    """A memory mapping: start, end, size, offset (pgoff), inode, perms
    ("r-xp"), name, and read, write, exec, share."""

    def __init__(self, m):
        super().__init__(m)
        self.update(base=m["start"], size=m["end"] - m["start"],
                    pgoff=m["offset"], read=m["perms"][0] == "r",
                    write=m["perms"][1] == "w", exec=m["perms"][2] == "x",
                    share=m["perms"][3] == "s",
                    flags=sum(v for k, v in _VM.items()
                              if k in m["perms"][:3] or
                              (k == "s" and m["perms"][3] == "s")))
        self["executable"] = self["exec"]

    def __str__(self):
        return "%x-%x %s %x %d %s" % (self.start, self.end, self.perms,
                                      self.offset, self.inode, self.name)


class Mappings(list):
    def get_mapping_by_addr(self, addr):
        return next((m for m in self if m.start <= addr < m.end), None)

    def get_mappings_by_name(self, name):
        return [m for m in self if name in m.name]

    def get_first_mapping_by_name(self, name):
        found = sorted(self.get_mappings_by_name(name),
                       key=lambda m: m.start)
        return found[0] if found else None

    def __str__(self):
        return "\n".join(str(m) for m in self)


def _proc(p):
    return Record(p, name=p["comm"])


AT_FDCWD = -100


class OSI:
    """plugins.osi: the guest's processes, each a generator; pid= another
    process (the event's by default)."""

    def get_args(self, pid=None):
        return (yield from _in(pid, _op("get_proc_args")))

    def get_env(self, pid=None):
        return (yield from _in(pid, _op("get_proc_env")))

    def get_proc_name(self, pid=None):
        """argv[0], as penguin's; "[???]" where the argv is empty."""
        args = yield from self.get_args(pid)
        return args[0] if args else "[???]"

    def _pid_op(self, name, pid):
        return (yield from _op(name, *(() if pid is None else (pid,))))

    def get_proc_exe(self, pid=None):
        return (yield from self._pid_op("exe", pid))

    def get_cwd(self, pid=None):
        return (yield from self._pid_op("cwd", pid))

    def get_fd_name(self, fd, pid=None):
        """The name behind fd (AT_FDCWD: the working directory), None
        where the process has no such fd."""
        if fd == AT_FDCWD:
            return (yield from self.get_cwd(pid))
        try:
            return (yield from _in(pid, _op("read_fd_name", fd)))
        except _core.GuestError as e:
            if e.errno in (errno.EBADF, errno.ENOENT):
                return None
            raise

    def get_fds(self, pid=None, start_fd=0, count=None):
        """Records fd, name, flags of its open files from start_fd."""
        fds = [Record(f) for f in (yield from self._pid_op("fds", pid))
               if f["fd"] >= start_fd]
        return fds if count is None else fds[:count]

    def get_all_procs(self):
        """Every task: pid, tgid, ppid, uid, state, name (comm),
        start_ns, kthread."""
        return [_proc(p) for p in (yield from _op("processes"))]

    def get_proc(self, pid=None):
        if pid is None:
            pid = yield from _op("get_proc_pid")
        for p in (yield from _op("processes")):
            if p["pid"] == pid:
                return _proc(p)
        return None

    def get_mappings(self, pid=None):
        return Mappings(Mapping(m)
                        for m in (yield from self._pid_op("maps", pid)))

    def get_mapping_by_addr(self, addr):
        return (yield from self.get_mappings()).get_mapping_by_addr(addr)

    def get_proc_handles(self):
        raise HypermemUnsupported(
            "plugins.osi.get_proc_handles: hypermem has no kernel task "
            "handles; plugins.osi.get_all_procs() lists the tasks")


class FS:
    """plugins.fs: guest files, by path, each a generator."""

    CHUNK = 1 << 20

    def read_file(self, fname, size=None, offset=0):
        """size bytes from offset; the whole file where size is None."""
        if size is not None:
            return (yield from _op("read_file", fname, size, offset))
        data = b""
        while True:
            chunk = yield from _op("read_file", fname, self.CHUNK,
                                   offset + len(data))
            data += chunk
            if len(chunk) < self.CHUNK:
                return data

    def write_file(self, fname, data, offset=0):
        """At offset 0 the file's new content (created, emptied first);
        elsewhere data written at offset. The bytes written."""
        if offset:
            return (yield from _op("write_file", fname, _text(data), offset))
        return (yield from _op("write_file", fname, _text(data)))

    def exec_program(self, *args, **kwargs):
        raise HypermemUnsupported(
            "plugins.fs.exec_program: hypermem starts no guest programs")


# ---- process events ----

class Execs:
    """plugins.execs: publishes "exec_event" after each exec that
    succeeded, in the new image: procname (its executable), argv, envp,
    proc, parent, retval (0). Handlers may be generators."""

    def __init__(self):
        plugins.register(self, "exec_event")

    def started(self, panda):
        if plugins.subscribers(self, "exec_event"):
            panda.on_process("exec")(self._on_exec)

    def _on_exec(self, cpu, event):
        proc = yield from plugins.osi.get_proc(event.tgid)
        parent = (yield from plugins.osi.get_proc(proc.ppid)) if proc \
            else None
        record = Record(procname=(yield from _op("exe")),
                        argv=(yield from _op("get_proc_args")),
                        envp=(yield from _op("get_proc_env")),
                        proc=proc, parent=parent, retval=0, raw_args=None)
        yield from plugins.portal_publish(self, "exec_event", record)


class ExitEvent:
    """An exit: pid, tid, comm, code (the wait status), exit_status,
    signaled, termsig, core_dumped, last (the process's last task)."""

    def __init__(self, event):
        self.pid = event.tgid
        self.tid = event.tid
        self.comm = event.comm
        self.code = event.status
        self.last = event.last

    @property
    def signaled(self):
        return (self.code & 0x7f) not in (0, 0x7f)

    @property
    def termsig(self):
        return self.code & 0x7f if self.signaled else 0

    @property
    def core_dumped(self):
        return bool(self.code & 0x80) if self.signaled else False

    @property
    def exit_status(self):
        return (self.code >> 8) & 0xff


class ExitMonitor:
    """plugins.exit_monitor: publishes "proc_exit" (cpu, ExitEvent) at
    each process's end once enable() was called."""

    def __init__(self):
        self._enabled = False
        plugins.register(self, "proc_exit")

    def enable(self):
        self._enabled = True
        return True

    def disable(self):
        self._enabled = False
        return True

    def started(self, panda):
        if plugins.subscribers(self, "proc_exit"):
            panda.on_process("exit")(self._on_exit)

    def _on_exit(self, cpu, event):
        if self._enabled and event.last:
            plugins.publish(self, "proc_exit", cpu, ExitEvent(event))


def start(panda):
    """At the guest's start: the process events someone subscribed to."""
    for plugin in (plugins.execs, plugins.exit_monitor):
        plugin.started(panda)


plugins.add("mem", Mem())
plugins.add("osi", OSI())
plugins.add("fs", FS())
plugins.add("execs", Execs())
plugins.add("exit_monitor", ExitMonitor())
