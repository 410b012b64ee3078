# SPDX-License-Identifier: MIT
"""Run a guest with plugins written in the original's vocabulary or in
penguin's.

    python3 -m hypermem [options] [--config FILE] [--plugin-arg NAME=VALUE]
                        PLUGIN.py ...

Options, output (--json, -q, -v) and exit codes are hypermem-run's, from
the same C code (bindings/run.c, bindings/output.c): --guest, --cmdline
(guest-tiny's image and command line), --kernel, --initrd, --append (a
Linux guest), --cpus, --mem, --timeout. Exit codes: 0 the guest ran to its
end, 1 a plugin error (with its traceback), 2 usage error, 3 the guest
crashed or did not finish, 4 KVM is not usable, 5 timeout. Several
plugins share the guest; --plugin-arg and --config give them arguments
(loader.py).
"""
import argparse
import errno
import os
import signal
import sys
import threading
import traceback

from . import _core, penguin
from .loader import (Loader, LoadError, global_args, plugin_args,
                     read_config)
from .manager import HypermemUnsupported
from .plugin import GuestError, Hook, Proto, Syscall, plugins

EXIT_OK, EXIT_SCRIPT, EXIT_USAGE, EXIT_GUEST, EXIT_KVM, EXIT_TIMEOUT = \
    0, 1, 2, 3, 4, 5
KINDS = {"enter": _core.ENTER, "return": _core.RETURN,
         "process": _core.PROCESS}


class Panda:
    """The panda object plugins get: hsyscall() and on_process() register
    their hooks, which the guest is subscribed to when it starts."""

    def __init__(self):
        self.hooks = {}     # (nr or None for any, phase) -> [_Hook]
        self.unchecked = set()  # rules the guest left unchecked, said
        self.started = False

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise HypermemUnsupported(
            "panda.%s: PANDA's emulator API is not hypermem's; hypermem "
            "has panda.hsyscall() and panda.on_process() (and penguin's "
            "plugins.syscalls, plugins.execs, plugins.exit_monitor)" % name)

    def hsyscall(self, name, arg_filter=None, comm_filter=None):
        """Register for "on_sys_<syscall>_enter" or "..._return".

        arg_filter: a list, one value per argument, None for any; a value
        is an int or (lo, hi); comm_filter: the process name. The guest
        checks both before it raises an event, where it can; the host
        checks them again. What the handler is likely to read (buf, a
        path, the name behind fd) comes with the event.
        """
        phase = None
        for p in KINDS:
            if name.startswith("on_sys_") and name.endswith("_" + p):
                phase = p
        sysname = name[len("on_sys_"):-len(phase) - 1] if phase else None
        nr = _core.syscall_nr(sysname) if sysname else None
        if nr is None and sysname:
            raise ValueError("hsyscall: %r: %s guests have no syscall %r"
                             % (name, _core.arch(), sysname))
        if nr is None:
            raise ValueError("hsyscall: %r is not on_sys_<a Linux "
                             "syscall>_enter or _return" % name)
        proto = Proto(sysname, nr, _core.syscall_args(nr))
        hook = Hook(name, sysname, phase)
        keys = {"arg%d" % (i + 1): v for i, v in enumerate(arg_filter or [])
                if v is not None}
        if comm_filter:
            keys["comm"] = comm_filter
        rule = _core.Rule(KINDS[phase], nr, keys)

        def register(fn):
            def call(ev):
                args = ev.args[:len(proto.arg_names) or 6]
                fn(ev.cpu, proto, Syscall(ev), hook, *args)
            self._add(phase, nr, rule, call)
            return fn
        return register

    def on_process(self, kind, comm_filter=None):
        """Register for a process's life: "exec", "exit" or "fork".

        The handler is called as fn(cpu, event): event.kind, event.tid,
        event.tgid, and event.old_tid (exec), event.status and event.last
        (exit), event.child and event.child_tgid (fork); event.pid and
        event.comm say who raised it. The operations work as in a syscall
        hook: at an exec, on the new image. A generator handler performs
        them as a wrapped syscall handler does.
        """
        nr = _core.process_event_nr(kind)
        if nr is None:
            raise ValueError("on_process: %r is not \"exec\", \"exit\" "
                             "or \"fork\"" % (kind,))
        rule = _core.Rule(_core.PROCESS, nr,
                          {"comm": comm_filter} if comm_filter else {})

        def register(fn):
            def call(ev):
                result = fn(ev.cpu, ProcessEvent(ev))
                if hasattr(result, "send") and hasattr(result, "throw"):
                    plugins.hypermem._drive(fn, result)
            self._add("process", nr, rule, call)
            return fn
        return register

    def add_hook(self, phase, nr, keys, call):
        """call(ev) at each event of phase ("enter", "return") and
        syscall nr (None: any) that meets the filter keys; a handle for
        remove_hook()."""
        return self._add(phase, nr, _core.Rule(KINDS[phase], nr, keys),
                         call)

    def _add(self, phase, nr, rule, call):
        if self.started:
            raise RuntimeError(
                "hooks are registered before the guest starts (in a "
                "plugin's __init__ or its file): the guest is subscribed "
                "once, at its start")
        hook = _Hook(rule, call)
        self.hooks.setdefault((nr, phase), []).append(hook)
        return hook

    def remove_hook(self, hook):
        for hooks in self.hooks.values():
            if hook in hooks:
                hooks.remove(hook)

    def _wants(self, rule, ev):
        """Whether the hook of rule wants ev. A filter the guest leaves
        unchecked is not met, said once per hook: the guest's failure,
        not the plugin's, and the run goes on."""
        try:
            return rule.matches(ev)
        except GuestError as e:
            if e.errno != errno.ECANCELED and rule not in self.unchecked:
                self.unchecked.add(rule)
                _core.error(e.strerror)
            return False

    def rules(self):
        return [hook.rule for hooks in self.hooks.values() for hook in hooks]

    def dispatch(self, ev):
        hooks = self.hooks.get((ev.nr, ev.phase), []) + \
            (self.hooks.get((None, ev.phase), [])
             if ev.phase != "process" else [])
        if not hooks:
            return
        plugins.hypermem._local.event = ev
        try:
            for hook in hooks:
                if self._wants(hook.rule, ev):
                    hook.call(ev)
        finally:
            plugins.hypermem._local.event = None


class _Hook:
    __slots__ = ("rule", "call")

    def __init__(self, rule, call):
        self.rule = rule
        self.call = call


class ProcessEvent:
    """A process's exec, exit or fork: its args by name (hypermem's
    process events), and who raised it."""

    def __init__(self, ev):
        self.kind, names = _core.process_event(ev.nr)
        for name, value in zip(names, ev.args):
            setattr(self, name, value)
        self.pid = ev.pid
        self.comm = ev.comm

    def __repr__(self):
        return "ProcessEvent(%s)" % ", ".join(
            "%s=%r" % kv for kv in vars(self).items())


class _Lines:
    """sys.stdout while a plugin runs: each line it prints goes to the
    run's output (text, or a JSON "print" object with --json), tagged with
    the vCPU whose event is being handled."""

    def __init__(self, tty):
        self._partial = threading.local()
        self._tty = tty

    def write(self, text):
        n = len(text)
        text = getattr(self._partial, "text", "") + text
        *lines, self._partial.text = text.split("\n")
        for line in lines:
            _core.print_line(_cpu(), line)
        return n

    def flush(self):
        rest = getattr(self._partial, "text", "")
        if rest:
            self._partial.text = ""
            _core.print_line(_cpu(), rest)

    def isatty(self):
        return self._tty


def _cpu():
    ev = getattr(plugins.hypermem._local, "event", None)
    return ev.cpu if ev is not None else -1


def _parse(argv):
    p = argparse.ArgumentParser(
        prog="python3 -m hypermem",
        description="Boot a guest under KVM with libhypermem attached and "
        "run plugins written in the original's Python vocabulary or in "
        "penguin's on its events. Options, output and exit codes as "
        "hypermem-run's.",
        epilog="exit codes: 0 the guest ran to its end, 1 plugin error, "
        "2 usage error, 3 the guest crashed or did not finish, 4 KVM is "
        "not usable, 5 timeout.")
    version = "python3 -m hypermem %s (libhypermem, Python %d.%d)" % (
        _core.VERSION, *sys.version_info[:2])
    p.add_argument("--version", action="version", version=version)
    p.add_argument("plugin", nargs="*", help="plugin files (classes "
                   "...(PyPlugin) or ...(Plugin), or a script), sharing "
                   "the guest")
    p.add_argument("--config", metavar="FILE", help="a penguin-style YAML "
                   "config: its `plugins:` mapping names the plugins "
                   "(NAME.py beside FILE, or in its plugins/ or plugins.d/)"
                   " and their arguments; `enabled: false` skips one")
    p.add_argument("--plugin-arg", dest="plugin_arg", metavar="NAME=VALUE",
                   action="append", help="an argument for every plugin, "
                   "or with PLUGIN.NAME=VALUE for one (repeat it); "
                   "outdir=DIR: the plugins' output folder")
    p.add_argument("--guest", help="guest-tiny's image (default: the "
                   "bundled one)")
    p.add_argument("--kernel", help="boot this Linux kernel instead: a "
                   "vmlinux or bzImage")
    p.add_argument("--initrd", help="initramfs for --kernel")
    p.add_argument("--append", help="the kernel's command line (default "
                   "\"console=ttyS0\"; under QEMU its machine's serial, "
                   "ttyAMA0 on ARM)")
    p.add_argument("--cpus", help="vCPUs, 1 to 8 (default 1)")
    p.add_argument("--mem", help="guest RAM in MiB, even, 16 to 1024")
    p.add_argument("--timeout", help="stop the guest after SEC seconds "
                   "(default 60, exit code 5)")
    p.add_argument("--cmdline", help="guest-tiny's command line (default "
                   "\"scenario=demo\")")
    p.add_argument("--vmm", help="core (default: this project's VMM on "
                   "/dev/kvm) or qemu (the qemu-system-* of the kernel's "
                   "architecture with an ivshmem-doorbell device; needs "
                   "--kernel)")
    p.add_argument("--arch", help="the guest's architecture: x86_64, "
                   "aarch64, arm, mipsel or mips64el (default: the "
                   "kernel's, read from its header)")
    p.add_argument("--accel", help="with --vmm qemu: kvm, tcg or auto "
                   "(default: kvm where /dev/kvm can run it)")
    p.add_argument("--qemu-doorbell", dest="qemu_doorbell",
                   choices=("auto", "on", "off"), help="with --vmm qemu: "
                   "ivshmem-doorbell (on) or ivshmem-plain, the host "
                   "polling (off); default auto: off on a machine it "
                   "starts that has no MSI-X, else on")
    p.add_argument("--qemu-socket", dest="qemu_socket", metavar="PATH",
                   help="serve a QEMU you start yourself at PATH (the "
                   "options to give it are printed)")
    p.add_argument("--attach", metavar="QMP_SOCKET", help="hot-plug the "
                   "device into a running QEMU through its QMP monitor, "
                   "run the plugin, unplug it at the end (Ctrl-C too)")
    p.add_argument("--qemu-user", dest="qemu_user", metavar="USER",
                   help="serve a QEMU that runs as USER (a name or a uid) "
                   "and no other (default: this user's own)")
    p.add_argument("--drive", metavar="IMAGE", help="with --vmm qemu: a "
                   "raw disk image as /dev/vda; its writes are dropped")
    p.add_argument("--qemu-arg", dest="qemu_arg", metavar="ARG",
                   action="append", help="with --vmm qemu: one more "
                   "argument for QEMU (repeat it)")
    p.add_argument("--json", action="store_true",
                   help="JSON Lines on stdout: one object per event, "
                   "plugin output line, console line and the result")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="only the plugin's output")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also every event and guest-tiny's syscall trace")
    o = p.parse_args(_joined_qemu_args(argv))
    if not o.plugin and not o.config:
        p.error("a plugin file or --config FILE is needed")
    return o


def _joined_qemu_args(argv):
    """--qemu-arg -device as --qemu-arg=-device, which argparse would
    otherwise take for an option of its own."""
    joined, it = [], iter(argv)
    for arg in it:
        if arg == "--qemu-arg":
            arg += "=" + next(it, "")
        joined.append(arg)
    return joined


OPTIONS = ("guest", "kernel", "initrd", "append", "cpus", "mem", "timeout",
           "cmdline", "vmm", "accel", "arch", "qemu_doorbell", "qemu_socket",
           "qemu_user", "attach", "drive", "qemu_arg")


def _load(o, panda):
    """The config's plugins, then the files named: a Loader."""
    common, per_plugin = plugin_args(o.plugin_arg)
    conf, chosen = read_config(o.config) if o.config else ({}, [])
    proj_dir = os.path.dirname(os.path.abspath(o.config)) if o.config \
        else os.getcwd()
    base, made = global_args(conf, proj_dir, o.verbose,
                             common.pop("outdir", None))
    common.pop("statedir", None)
    plugins.panda = panda
    plugins.args = base
    loader = Loader(panda, base, common, per_plugin)
    loader.made = made
    for name, args in chosen:
        loader.load_config_plugin(name, args, proj_dir)
    for path in o.plugin:
        loader.load_file(path)
    return loader


def _plugin_error(where):
    sys.stdout.flush()
    _core.error("plugin error in %s: %s" % (
        where, traceback.format_exc().rstrip("\n")))


def _guest(o):
    """The bundled guest-tiny when neither --guest nor --kernel says."""
    if o.guest or o.kernel:
        return o.guest
    # A wheel's is inside the package (-Dwheel=true).
    wheel_guest = os.path.join(os.path.dirname(__file__), "guest-tiny.elf")
    for path in (_core.BUILD_GUEST, wheel_guest, _core.INSTALLED_GUEST):
        if os.path.exists(path):
            return path
    return _core.INSTALLED_GUEST


def main(argv):
    try:
        o = _parse(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code else EXIT_OK
    _core.start_output(o.json, -1 if o.quiet else 1 if o.verbose else 0)
    panda = Panda()
    stdout = sys.stdout
    sys.stdout = _Lines(stdout.isatty() and not o.json)
    try:
        options = {name.replace("_", "-"): getattr(o, name)
                   for name in OPTIONS}
        if not (o.vmm == "qemu" or o.qemu_socket or o.attach):
            options["guest"] = _guest(o)
        # The guest's architecture names the plugin's syscalls.
        code = _core.check(options)
        if code:
            return code
        try:
            loader = _load(o, panda)
            penguin.start(panda)
        except LoadError as e:
            _core.error(str(e))
            _core.result(EXIT_USAGE, "usage error")
            return EXIT_USAGE
        except Exception:
            _plugin_error(" ".join(o.plugin) or o.config)
            _core.result(EXIT_SCRIPT, "script error")
            return EXIT_SCRIPT
        panda.started = True
        # Ctrl-C ends the run as it ends hypermem-run: at once on the
        # core; under QEMU the run catches it and stops.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        code = _core.run(panda.dispatch, panda.rules(), options)
        if code in (EXIT_USAGE, EXIT_KVM):
            return code     # the guest never started
        try:
            loader.uninit()
        except Exception:
            _plugin_error("uninit")
            code = code or EXIT_SCRIPT
        if loader.made and not o.quiet:
            sys.stderr.write("python3 -m hypermem: the plugins' output "
                             "folder: %s\n" % loader.made[0])
        return code
    finally:
        sys.stdout.flush()
        sys.stdout = stdout
