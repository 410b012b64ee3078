# SPDX-License-Identifier: MIT
"""Penguin's plugin API over hypermem's operations and events.

    from penguin import Plugin, plugins

    class Blocker(Plugin):
        def __init__(self):
            plugins.syscalls.syscall("on_sys_finit_module_enter")(self.deny)

        def deny(self, regs, proto, syscall, fd, params, flags):
            name = yield from plugins.osi.get_fd_name(fd)
            syscall.skip_syscall = True
            syscall.retval = 0

`plugins.syscalls` hooks syscalls (its filters become the guest's
subscription), `plugins.mem`, `plugins.osi` and `plugins.fs` are
generators over the operations (`yield from`), `plugins.execs` and
`plugins.exit_monitor` publish process events. What penguin has and
hypermem has not (uprobes, kprobes, kernel FFI, pseudo-files) raises
HypermemUnsupported, which says what to use instead.
"""
import errno
import functools
import inspect

from . import _core
from .manager import HypermemUnsupported, camel_to_snake, plugins
from .plugin import (Arguments, Op, Proto, Syscall, getColoredLogger,
                     interpret_bool)

__all__ = ["Plugin", "PluginArgs", "ArgsBox", "ValueFilter", "plugins",
           "getColoredLogger", "HypermemUnsupported"]


# ---- arguments ----

class Lazy:
    """An argument made when a plugin first asks for it (outdir)."""

    def __init__(self, make):
        self.make = make


class ArgsBox(dict):
    """A plugin's arguments: args["x"], args.x, args.get("x"),
    args.get_bool("x")."""

    def __getitem__(self, key):
        value = dict.__getitem__(self, key)
        if isinstance(value, Lazy):
            value = value.make()
            self[key] = value
        return value

    def get(self, key, default=None):
        return self[key] if key in self else default

    def get_bool(self, key, default=False):
        if key not in self:
            return default
        value = interpret_bool(self[key])
        if value is None:
            raise ValueError("argument %s: %r is not a truth value"
                             % (key, self[key]))
        return value

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


class PluginArgs:
    """A plugin's declared arguments: `class Args(PluginArgs)` with
    annotated class attributes, their defaults. Given text (--plugin-arg)
    becomes the annotation's int, float or bool."""

    @classmethod
    def fields(cls):
        names: dict = {}
        for klass in reversed(cls.__mro__):
            names.update(getattr(klass, "__annotations__", {}))
        return names

    @classmethod
    def apply(cls, args):
        """args with the declared defaults filled in and text converted."""
        out = dict(args)
        types = {"int": int, "float": float, "bool": bool}
        for name, kind in cls.fields().items():
            kind = types.get(kind, kind)
            if name not in out:
                if hasattr(cls, name):
                    out[name] = getattr(cls, name)
                continue
            value = out[name]
            if isinstance(value, str) and kind in (int, float):
                out[name] = kind(value, 0) if kind is int else kind(value)
            elif isinstance(value, str) and kind is bool:
                out[name] = interpret_bool(value)
        return out


class Plugin(Arguments):
    """Base class of a penguin plugin: __init__(self) (or the legacy
    __init__(self, panda)); self.args, self.logger ("plugins.<name>"),
    self.panda and self.plugins are set before it runs."""

    Args = None

    def __preinit__(self, manager, args):
        self.plugins = manager
        self.panda = manager.panda
        declared = type(self).__dict__.get("Args")
        if isinstance(declared, type) and issubclass(declared, PluginArgs):
            args = declared.apply(args)
        self.args = ArgsBox(args)
        self.logger = getColoredLogger("plugins." + camel_to_snake(self.name))

    @property
    def name(self):
        return type(self).__name__


# ---- in-guest filters ----

class ValueFilter:
    """A condition on an argument or the return value, checked in the
    guest before it raises the event: each constructor is one kind."""

    __slots__ = ("kind", "value", "name")

    def __init__(self, kind, value, name=None):
        self.kind = kind
        self.value = value
        self.name = name or kind

    def __repr__(self):
        return "ValueFilter.%s(%r)" % (self.name, self.value)

    @classmethod
    def exact(cls, value):
        return cls("exact", value)

    @classmethod
    def not_equal(cls, value):
        return cls("ne", value, "not_equal")

    @classmethod
    def greater(cls, value):
        return cls("gt", value, "greater")

    @classmethod
    def greater_equal(cls, value):
        return cls("ge", value, "greater_equal")

    @classmethod
    def less(cls, value):
        return cls("lt", value, "less")

    @classmethod
    def less_equal(cls, value):
        return cls("le", value, "less_equal")

    @classmethod
    def range(cls, min_value, max_value):
        return cls("range", (min_value, max_value))

    @classmethod
    def success(cls):
        return cls("success", True)

    @classmethod
    def error(cls):
        return cls("error", True)

    @classmethod
    def bitmask_set(cls, bitmask):
        return cls("bits_set", bitmask, "bitmask_set")

    @classmethod
    def bitmask_clear(cls, bitmask):
        return cls("bits_clear", bitmask, "bitmask_clear")

    @classmethod
    def string_exact(cls, pattern):
        return cls("str", pattern, "string_exact")

    @classmethod
    def string_contains(cls, pattern):
        return cls("contains", pattern, "string_contains")

    @classmethod
    def string_startswith(cls, pattern):
        return cls("prefix", pattern, "string_startswith")

    @classmethod
    def string_endswith(cls, pattern):
        return cls("suffix", pattern, "string_endswith")


def filter_value(key, f):
    """One of penguin's filters as a value of hypermem's filter mapping
    (_core.Rule's): an int, a (lo, hi) range or a one-key dict."""
    if isinstance(f, tuple) and len(f) == 2:
        return f    # hypermem's own (lo, hi) range
    if isinstance(f, bool) or not isinstance(f, (int, str, ValueFilter)):
        raise TypeError("filter %s: None, an int, a str, a ValueFilter "
                        "or (lo, hi), not %r" % (key, f))
    if isinstance(f, int):
        return f
    if isinstance(f, str):
        if key == "ret":
            raise ValueError("filter ret: a return value is no string")
        return {"prefix": f}
    if f.kind in ("success", "error") and key != "ret":
        raise ValueError("filter %s: ValueFilter.%s() is for the return "
                         "value (retval_filter)" % (key, f.kind))
    if f.kind == "exact":
        return f.value
    if f.kind == "range":
        return tuple(f.value)
    return {f.kind: f.value}


def filter_of(arg_filters=None, comm_filter=None, pid_filter=None,
              retval_filter=None):
    """syscall()'s filters as hypermem's filter mapping."""
    arg_filters = list(arg_filters or [])
    if len(arg_filters) > 6:
        raise ValueError("arg_filters: at most 6, one per argument")
    keys = {"arg%d" % (i + 1): filter_value("arg%d" % (i + 1), f)
            for i, f in enumerate(arg_filters) if f is not None}
    if comm_filter is not None:
        keys["comm"] = comm_filter
    if pid_filter is not None:
        keys["pid"] = filter_value("pid", pid_filter)
    if retval_filter is not None:
        keys["ret"] = filter_value("ret", retval_filter)
    return keys


# ---- what a syscall handler gets ----

# The syscall ABI's registers: the arguments', the number's, the return's.
_ABI = {
    "x86_64": (("rdi", "rsi", "rdx", "r10", "r8", "r9"), "orig_rax", "rax"),
    "aarch64": (("x0", "x1", "x2", "x3", "x4", "x5"), "x8", "x0"),
    "arm": (("r0", "r1", "r2", "r3", "r4", "r5"), "r7", "r0"),
    "mipsel": (("a0", "a1", "a2", "a3"), "v0", "v0"),
    "mips64el": (("a0", "a1", "a2", "a3", "a4", "a5"), "v0", "v0"),
}


class Regs:
    """The syscall's registers as the event has them: its arguments, its
    number and, at the return, its return value, by the architecture's
    names (regs.rdi, regs.get_syscall_arg(0)). Writing to it does nothing,
    as in penguin: change a syscall through its `syscall` object. The
    event carries no other register (pc, sp)."""

    def __init__(self, ev):
        names, nr_name, ret_name = _ABI.get(_core.arch(), _ABI["x86_64"])
        regs = dict(zip(names, ev.args))
        regs[nr_name] = ev.nr
        if ev.phase == "return":
            regs[ret_name] = ev.ret
        elif ret_name not in regs:
            regs[ret_name] = ev.nr
        object.__setattr__(self, "_regs", regs)
        object.__setattr__(self, "_ev", ev)

    def __getattr__(self, name):
        try:
            return self._regs[name]
        except KeyError:
            raise AttributeError(
                "regs.%s: the event carries the syscall's arguments, "
                "number and return value (%s), no other register"
                % (name, ", ".join(self._regs))) from None

    def __setattr__(self, name, value):
        pass

    def get_register(self, name):
        return self._regs.get(name)

    def set_register(self, name, value):
        return False

    def get_syscall_arg(self, num):
        return self._ev.args[num]

    get_arg = get_syscall_arg

    def get_args(self, count, convention=None):
        return list(self._ev.args[:count])

    def get_syscall_number(self):
        return self._ev.nr

    def get_retval(self):
        return self._ev.ret

    get_return_value = get_retval

    def set_retval(self, value):
        pass

    def dump(self):
        return dict(self._regs)

    def _no_register(self, *args):
        raise HypermemUnsupported(
            "regs: the event carries the syscall's arguments, number and "
            "return value, not the program counter or stack pointer")

    get_pc = get_sp = set_pc = get_retaddr = get_return_address = \
        _no_register


class SyscallPrototype(Proto):
    """proto: the syscall's name, number, argument names (names, nargs)."""

    def __init__(self, name, nr, arg_names):
        super().__init__(name, nr, arg_names)
        self.names = list(arg_names)
        self.types = ["long"] * len(arg_names)
        self.nargs = len(arg_names)
        self.unknown_args = False

    def __repr__(self):
        return "<SyscallPrototype name='%s' nargs=%d>" % (self.name,
                                                          self.nargs)

    def arg_index(self, *names, fallback_index=None):
        for name in names:
            if name in self.names:
                return self.names.index(name)
        return fallback_index

    def arg_value(self, values, *names, fallback_index=None, default=None):
        i = self.arg_index(*names, fallback_index=fallback_index)
        return default if i is None or i >= len(values) else values[i]


class _Task:
    def __init__(self, ev):
        self.pid = ev.pid
        self.comm = ev.comm


class _Unchanged:
    """An event whose control does nothing: a read_only hook's."""

    def __init__(self, ev):
        self._ev = ev

    def __getattr__(self, name):
        return getattr(self._ev, name)

    def set_arg(self, index, value):
        pass

    def skip(self, ret=0):
        pass

    def set_return(self, ret):
        pass


class SyscallEvent(Syscall):
    """syscall: args[i] = v, skip_syscall, retval as the original's
    Syscall, and name, nr, argc, pid, task.comm."""

    def __init__(self, ev, proto, read_only=False):
        super().__init__(_Unchanged(ev) if read_only else ev)
        self.name = proto.name
        self.nr = ev.nr
        self.argc = proto.nargs if proto.nargs else 6
        self.pid = ev.pid
        self.task = _Task(ev)


# ---- plugins.syscalls ----

def _parse_name(name_or_pattern, on_enter, on_return):
    """(syscall name or None for all, [phases])."""
    name = name_or_pattern or "all"
    phases = [p for p, want in (("enter", on_enter), ("return", on_return))
              if want]
    for prefix in ("on_all_sys_", "on_unknown_sys_"):
        if name.startswith(prefix):
            phase = name[len(prefix):]
            if prefix == "on_unknown_sys_":
                raise HypermemUnsupported(
                    "syscall(%r): hypermem names every syscall of the "
                    "guest's architecture; hook on_all_sys_%s and test "
                    "proto.name" % (name, phase))
            return None, [phase]
    if name.startswith("on_sys_"):
        rest = name[len("on_sys_"):]
        for phase in ("enter", "return"):
            if rest.endswith("_" + phase):
                return rest[:-len(phase) - 1], [phase]
        return rest, ["enter"]
    if name.startswith("compat_"):
        name = name[len("compat_"):]
    if name.startswith("sys_"):
        name = name[len("sys_"):]
    name = name.lstrip("_")
    return (None if name == "all" else name), phases or ["enter"]


def _arity(fn):
    """How many syscall arguments fn takes after (regs, proto, syscall):
    what it gets where hypermem's table has no names for the syscall's."""
    n = 0
    for p in inspect.signature(fn).parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            return 6
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
    return max(0, min(6, n - 3))


def _resolve(func):
    """A method decorated in its class body: the loaded plugin's bound
    method, found at the event by its class's name."""
    qual = getattr(func, "__qualname__", "")
    if hasattr(func, "__self__") or "." not in qual or "<locals>" in qual:
        return func
    owner = plugins.get_plugin_by_name(qual.split(".")[-2])
    if owner is None:
        raise RuntimeError("%s: no loaded plugin %s to call it on"
                           % (qual, qual.split(".")[-2]))
    return getattr(owner, func.__name__)


class Syscalls:
    """plugins.syscalls: syscall() registers a handler, unregister()
    removes it."""

    def __init__(self):
        self._hooks = {}    # handle -> [panda hook entries]

    def syscall(self, name_or_pattern=None, on_enter=None, on_return=None,
                comm_filter=None, arg_filters=None, pid_filter=None,
                retval_filter=None, enabled=True, read_only=False,
                scope_filter=None):
        """Decorator: fn(regs, proto, syscall, *args) at the syscall's
        entry or return (a generator may `yield from` the operations).
        The filters are checked in the guest where it can."""
        sysname, phases = _parse_name(name_or_pattern, on_enter, on_return)
        nr = None
        if sysname is not None:
            nr = _core.syscall_nr(sysname)
            if nr is None:
                raise ValueError("syscall(%r): %s guests have no syscall %r"
                                 % (name_or_pattern, _core.arch(), sysname))
        proto = (SyscallPrototype(sysname, nr, _core.syscall_args(nr))
                 if nr is not None else None)

        def decorator(func):
            def call(ev):
                p = proto or SyscallPrototype(
                    _core.syscall_name(ev.nr) or str(ev.nr), ev.nr,
                    _core.syscall_args(ev.nr))
                fn = _resolve(func)
                args = ev.args[:p.nargs or _arity(fn)] if proto else ()
                result = fn(Regs(ev), p, SyscallEvent(ev, p, read_only),
                            *args)
                if hasattr(result, "send") and hasattr(result, "throw"):
                    plugins.hypermem._drive(fn, result)

            @functools.wraps(func)
            def handle(*args, **kwargs):
                return func(*args, **kwargs)
            if enabled:
                keys = filter_of(arg_filters, comm_filter, pid_filter,
                                 retval_filter)
                self._hooks[handle] = [
                    plugins.panda.add_hook(phase, nr, keys, call)
                    for phase in phases]
            return handle
        return decorator

    def unregister(self, target):
        """Stop calling a handler: the handle syscall() returned, the
        function it decorated, or a function's name. The guest goes on
        raising its events until the run ends (the subscription is made
        once, at the start); the host drops them."""
        found = [h for h in self._hooks
                 if target is h or _same(target, h.__wrapped__) or
                 target == h.__name__]
        if not found:
            raise ValueError("unregister(%r): no such hook" % (target,))
        for h in found:
            for entry in self._hooks.pop(h):
                plugins.panda.remove_hook(entry)


def _same(target, func):
    return target is func or getattr(target, "__func__", None) is func


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


def make(cls, args, panda):
    """A plugin of either style, its arguments set before its __init__."""
    plugin = cls.__new__(cls)
    if isinstance(plugin, Plugin):
        plugin.__preinit__(plugins, args)
    else:
        plugin.args = ArgsBox(args)
    init = plugin.__init__
    if len(inspect.signature(init).parameters) == 1:
        init(panda)
    else:
        init()
    return plugin


plugins.add("syscalls", Syscalls())
plugins.add("mem", Mem())
plugins.add("osi", OSI())
plugins.add("fs", FS())
plugins.add("execs", Execs())
plugins.add("exit_monitor", ExitMonitor())
plugins.add_unsupported(
    "hypermem hooks syscalls and process events, not addresses in a "
    "program: hook the syscalls the code makes (plugins.syscalls)",
    "uprobes", "uprobe")
plugins.add_unsupported(
    "hypermem has no kernel probes: hook syscalls (plugins.syscalls) and "
    "process events (plugins.execs, plugins.exit_monitor)",
    "kprobes", "kprobe")
plugins.add_unsupported(
    "hypermem has no kernel FFI (types, kernel memory, kernel calls): it "
    "reads the processes' memory (plugins.mem) and what the kernel says "
    "of them (plugins.osi)", "kffi")
plugins.add_unsupported(
    "hypermem fakes no files or devices: skip the syscall and answer it "
    "yourself (syscall.skip_syscall, syscall.retval, plugins.mem writes) "
    "or write a real file (plugins.fs.write_file)",
    "pseudofiles", "pseudofile")
plugins.add_unsupported(
    "penguin's transport to its guest driver is not hypermem's: use the "
    "operations (plugins.mem, plugins.osi, plugins.fs)",
    "portal", "hypercall", "send_hypercall")
plugins.add_unsupported(
    "hypermem takes no snapshots of the guest", "snapshot", "snapshots")
