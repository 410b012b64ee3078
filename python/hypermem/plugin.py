# SPDX-License-Identifier: MIT
"""The original plugins' vocabulary, so that they run as they are written.

    from pandare2 import PyPlugin
    from penguin import getColoredLogger, plugins

    class MemoryAccess(PyPlugin):
        def __init__(self, panda):
            self.panda = panda
            self.logger = getColoredLogger("plugins.memory_access")
            self.hyp = plugins.hypermem
            self.panda.hsyscall("on_sys_read_return")(
                self.hyp.wrap(self.on_read))

        def on_read(self, cpu, proto, syscall, hook, fd, buf_addr, count):
            content = yield from self.hyp.read_str(buf_addr)
            ...

(python3 -m hypermem puts modules pandare2 and penguin on the path of the
plugins it runs; they are this module's names, and penguin's Plugin API:
hypermem.penguin.)

A handler wrapped by hyp.wrap() may be a generator: each
`yield from hyp.<op>(...)` performs that operation on the process that
raised the event and gives its result; a failed one raises GuestError
there. A plain function handler calls the same operations directly
(hyp.call.<op>(...)), for new code.
"""
import logging
import sys
import threading

from . import _core
from .manager import plugins

GuestError = _core.GuestError

# Operations, by the name the plugins use: the Event methods of _core,
# which bindings/ops.c defines for Lua and Python alike.
OPERATIONS = _core.OPERATIONS


class Op:
    """One operation a generator handler asks for: name and arguments."""

    __slots__ = ("name", "args")

    def __init__(self, name, args):
        self.name = name
        self.args = args

    def __repr__(self):
        return "Op(%s%r)" % (self.name, self.args)


def _make_op(name):
    def op(self, *args):
        return (yield Op(name, args))
    op.__name__ = name
    op.__doc__ = "yield from hyp." + getattr(_core.Event, name).__doc__
    return op


class _Direct:
    """hyp.call.<op>(...): the operation now, for plain function handlers."""

    def __init__(self, hyp):
        self._hyp = hyp

    def __getattr__(self, name):
        if name not in OPERATIONS:
            raise AttributeError(name)
        return getattr(self._hyp._event(), name)


class Hypermem:
    """plugins.hypermem: the operations, and wrap() for handlers."""

    def __init__(self):
        self._local = threading.local()
        self.call = _Direct(self)

    def _event(self):
        ev = getattr(self._local, "event", None)
        if ev is None:
            raise RuntimeError("hypermem operations work inside an event "
                               "handler only")
        return ev

    def exits(self):
        """The KVM exits of the event's vCPU so far, None under a stock
        QEMU: what a hook costs, counted (exits per event)."""
        return self._event().exits

    def wrap(self, fn):
        """A handler for panda.hsyscall(): fn may be a generator."""
        def handler(*args):
            result = fn(*args)
            if hasattr(result, "send") and hasattr(result, "throw"):
                return self._drive(fn, result)
            return result
        handler.__wrapped__ = fn
        return handler

    def _drive(self, fn, gen):
        value, error = None, None
        while True:
            try:
                op = gen.throw(error) if error else gen.send(value)
            except StopIteration as stop:
                return stop.value
            value, error = None, None
            if not isinstance(op, Op):
                gen.close()
                raise TypeError(
                    "%s yielded %r, which is not a hypermem operation: "
                    "write 'yield from self.hyp.<operation>(...)'"
                    % (getattr(fn, "__qualname__", fn), op))
            try:
                value = getattr(self._event(), op.name)(*op.args)
            except GuestError as e:
                error = e


    # The names PANDA-era hypermem also answered to, over the operations.

    def get_fd_name(self, fd):
        """yield from hyp.get_fd_name(fd): read_fd_name's other name."""
        return (yield from self.read_fd_name(fd))

    def get_proc_name(self):
        """yield from hyp.get_proc_name(): the process's argv[0], or its
        name (comm) where its argv is empty."""
        args = yield from self.get_proc_args()
        return args[0] if args else self._event().comm

    def read_ptrlist(self, addr, length):
        """yield from hyp.read_ptrlist(addr, n): the guest pointers there,
        at most n, up to the first NULL."""
        ptrs, size = [], pointer_size()
        for i in range(length):
            ptr = yield from self.read_ptr(addr + i * size)
            if not ptr:
                break
            ptrs.append(ptr)
        return ptrs

    def read_char_ptrlist(self, addr, length):
        """yield from hyp.read_char_ptrlist(addr, n): the strings its
        pointers (read_ptrlist's) point to."""
        strings = []
        for ptr in (yield from self.read_ptrlist(addr, length)):
            strings.append((yield from self.read_str(ptr)))
        return strings


for _name in OPERATIONS:
    setattr(Hypermem, _name, _make_op(_name))

plugins.add("hypermem", Hypermem())


def pointer_size():
    """The guest's pointers' bytes, by its architecture."""
    return 4 if _core.arch() in ("arm", "mipsel") else 8


def interpret_bool(value):
    """An argument as a truth value: a bool, a number, or "true", "y",
    "1" (any case) for true; None for another type."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() in ("true", "y", "yes", "1")
    if isinstance(value, int):
        return value != 0
    return None


class Arguments:
    """get_arg()/get_arg_bool(): a plugin's arguments (self.args), as
    python3 -m hypermem gives them (--plugin-arg, --config)."""

    args = {}

    def get_arg(self, name):
        """The argument's value, None where it was not given."""
        return self.args[name] if name in self.args else None

    def get_arg_bool(self, name, default=False):
        """The argument as a truth value; default where it was not given."""
        if name not in self.args:
            return default
        value = interpret_bool(self.args[name])
        if value is None:
            raise ValueError("argument %s: %r is not a truth value"
                             % (name, self.args[name]))
        return value


class PyPlugin(Arguments):
    """Base class of a plugin: made with the panda object; self.args (and
    get_arg()) hold its arguments before its __init__ runs."""

    def __init__(self, panda):
        self.panda = panda


class _Args:
    """syscall.args: the arguments; assigning one changes the syscall."""

    def __init__(self, ev):
        self._ev = ev

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return self._ev.args[i]

    def __setitem__(self, i, value):
        if not 0 <= i < 6:
            raise IndexError("syscall.args: 0 to 5")
        self._ev.set_arg(i, value & 0xffffffffffffffff)


class Syscall:
    """What the handler may change: args[i], retval, skip_syscall."""

    def __init__(self, ev):
        self._ev = ev
        self.args = _Args(ev)
        self._retval = ev.ret
        self._skip = False

    @property
    def retval(self):
        return self._retval

    @retval.setter
    def retval(self, value):
        self._retval = value
        if self._ev.phase == "return":
            self._ev.set_return(value)
        elif self._skip:
            self._ev.skip(value)

    @property
    def skip_syscall(self):
        return self._skip

    @skip_syscall.setter
    def skip_syscall(self, value):
        self._skip = bool(value)
        if self._skip:
            self._ev.skip(self._retval or 0)


class Proto:
    """The syscall's prototype: its name, number and argument names."""

    def __init__(self, name, nr, arg_names):
        self.name = name
        self.nr = nr
        self.arg_names = arg_names


class Hook:
    """What was hooked: 'on_sys_<name>_<enter|return>'."""

    def __init__(self, name, syscall, phase):
        self.name = name
        self.syscall = syscall
        self.phase = phase


class _ColorFormatter(logging.Formatter):
    COLORS = {"DEBUG": "36", "INFO": "32", "WARNING": "33", "ERROR": "31",
              "CRITICAL": "35"}

    def __init__(self, color):
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self.color = color

    def format(self, record):
        text = super().format(record)
        if self.color:
            return "\033[%sm%s\033[0m" % (
                self.COLORS.get(record.levelname, "0"), text)
        return text


def getColoredLogger(name):
    """A logger printing 'LEVEL name: message', in colour on a terminal."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(_ColorFormatter(sys.stdout.isatty()))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger
