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
`plugins.exit_monitor` publish process events (penguin_os.py). What penguin has and
hypermem has not (uprobes, kprobes, kernel FFI, pseudo-files) raises
HypermemUnsupported, which says what to use instead.
"""
import functools
import inspect

from . import _core
from .manager import HypermemUnsupported, camel_to_snake, plugins
from .penguin_os import FS, OSI, Mem, start
from .plugin import (Arguments, Proto, Syscall, getColoredLogger,
                     interpret_bool)

__all__ = ["Plugin", "PluginArgs", "ArgsBox", "ValueFilter", "plugins",
           "getColoredLogger", "HypermemUnsupported", "Mem", "OSI", "FS",
           "start"]


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
            keys = filter_of(arg_filters, comm_filter, pid_filter,
                             retval_filter)
            self._hooks[handle] = [
                plugins.panda.add_hook(phase, nr, keys, call)
                for phase in phases] if enabled else []
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
