# SPDX-License-Identifier: MIT
"""Run a guest with plugins written in the original's vocabulary.

    python3 -m hypermem [options] PLUGIN.py

Options as hypermem-run's: --guest, --cmdline (guest-tiny's image and
command line), --kernel, --initrd, --append (a Linux guest), --cpus, --mem,
--timeout. Exit codes as hypermem-run's: 0 the guest ran to its end, 1 a
plugin error (with its traceback), 2 usage error, 3 the guest crashed or
did not finish, 4 KVM is not usable, 5 timeout.
"""
import argparse
import os
import runpy
import sys
import traceback

from . import _core
from .plugin import Hook, Proto, PyPlugin, Syscall, plugins

EXIT_OK, EXIT_SCRIPT, EXIT_USAGE, EXIT_GUEST, EXIT_KVM, EXIT_TIMEOUT = \
    0, 1, 2, 3, 4, 5
KINDS = {"enter": 1, "return": 2}
HM_FIELD_COMM = 8


_quiet = False


def _say(msg, always=False):
    if always or not _quiet:
        print("hypermem: " + msg, file=sys.stderr, flush=True)


class Panda:
    """The panda object plugins get: hsyscall() registers their hooks."""

    def __init__(self):
        self.hooks = {}     # (nr, phase) -> [(hook, proto, fn, filters)]
        self.verbose = False

    def hsyscall(self, name, arg_filter=None, comm_filter=None):
        """Register for "on_sys_<syscall>_enter" or "..._return".

        arg_filter: a list, one value per argument, None for any;
        comm_filter: the process name. The guest checks both before it
        raises an event, where it can; the host checks them again.
        """
        phase = None
        for p in KINDS:
            if name.startswith("on_sys_") and name.endswith("_" + p):
                phase = p
        sysname = name[len("on_sys_"):-len(phase) - 1] if phase else None
        nr = _core.syscall_nr(sysname) if sysname else None
        if nr is None:
            raise ValueError("hsyscall: %r is not on_sys_<a Linux x86-64 "
                             "syscall>_enter or _return" % name)
        proto = Proto(sysname, nr, _core.syscall_args(nr))
        hook = Hook(name, sysname, phase)
        args = [(i, v) for i, v in enumerate(arg_filter or [])
                if v is not None]
        if len(args) + bool(comm_filter) > 4:
            raise ValueError("hsyscall: at most 4 filters")

        def register(fn):
            self.hooks.setdefault((nr, phase), []).append(
                (hook, proto, fn, (args, comm_filter)))
            return fn
        return register

    def rules(self):
        out = []
        for (nr, phase), hooks in self.hooks.items():
            for _, _, _, (args, comm) in hooks:
                conds = [(i, v & 0xffffffffffffffff) for i, v in args]
                if comm:
                    conds.append((HM_FIELD_COMM, comm))
                out.append((KINDS[phase], nr, conds))
        return out

    @staticmethod
    def _wants(ev, filters):
        args, comm = filters
        if any(ev.args[i] != v & 0xffffffffffffffff for i, v in args):
            return False
        if comm and ev.comm is None:
            raise RuntimeError("comm_filter needs a guest that says who "
                               "raised its events (HM_FEATURE_SUBSCRIBE)")
        return not comm or ev.comm == comm

    def dispatch(self, ev):
        hooks = self.hooks.get((ev.nr, ev.phase))
        if not hooks:
            return
        if self.verbose:
            print("cpu%d %s %s %s" % (ev.cpu, _core.syscall_name(ev.nr),
                                      ev.phase, [hex(a) for a in ev.args]),
                  flush=True)
        plugins.hypermem._local.event = ev
        try:
            for hook, proto, fn, filters in hooks:
                if not self._wants(ev, filters):
                    continue
                args = ev.args[:len(proto.arg_names) or 6]
                fn(ev.cpu, proto, Syscall(ev), hook, *args)
        finally:
            plugins.hypermem._local.event = None


class _Console:
    """The guest's console, a line at a time, as "[guest] ..."."""

    def __init__(self):
        self.partial = {}

    def __call__(self, cpu, text):
        text = self.partial.pop(cpu, "") + text
        *lines, rest = text.split("\n")
        for line in lines:
            sys.stdout.write("[guest] %s\n" % line)
        sys.stdout.flush()
        if rest:
            self.partial[cpu] = rest

    def flush(self):
        for rest in self.partial.values():
            sys.stdout.write("[guest] %s\n" % rest)
        self.partial.clear()
        sys.stdout.flush()


def _parse(argv):
    p = argparse.ArgumentParser(prog="python3 -m hypermem",
                                description="Run a guest and a plugin.")
    p.add_argument("plugin", help="a plugin file (class ...(PyPlugin))")
    p.add_argument("--guest", help="guest-tiny's image")
    p.add_argument("--cmdline", default="scenario=demo",
                   help="guest-tiny's command line")
    p.add_argument("--kernel", help="a Linux vmlinux or bzImage")
    p.add_argument("--initrd", help="its initramfs")
    p.add_argument("--append", default="console=ttyS0 panic=-1",
                   help="its command line")
    p.add_argument("--cpus", type=int, default=1)
    p.add_argument("--mem", type=int, default=0, help="MiB")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="only the plugin's output")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="every event the plugin's hooks get, too")
    p.add_argument("--json", action="store_true",
                   help="JSON Lines (Lua scripts only, for now)")
    return p.parse_args(argv)


def _load(path, panda):
    """Run the plugin file; make each PyPlugin class it defines."""
    ns = runpy.run_path(path, run_name="__hypermem_plugin__")
    made = [cls(panda) for cls in ns.values()
            if isinstance(cls, type) and issubclass(cls, PyPlugin) and
            cls is not PyPlugin and cls.__module__ == "__hypermem_plugin__"]
    if not made:
        raise ValueError("%s defines no PyPlugin class" % path)
    return made


def main(argv):
    try:
        o = _parse(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code else EXIT_OK
    if o.json:
        print("python3 -m hypermem: --json is for Lua scripts; a Python "
              "plugin prints what it likes", file=sys.stderr)
        return EXIT_USAGE
    global _quiet
    _quiet = o.quiet
    panda = Panda()
    panda.verbose = o.verbose
    try:
        _load(o.plugin, panda)
    except Exception:
        traceback.print_exc()
        _say("plugin error in %s; exit code %d" % (o.plugin, EXIT_SCRIPT),
             always=True)
        return EXIT_SCRIPT
    guest = o.guest or (_core.BUILD_GUEST if os.path.exists(
        _core.BUILD_GUEST) else _core.INSTALLED_GUEST)
    console = (lambda cpu, text: None) if o.quiet else _Console()
    try:
        if o.kernel:
            m = _core.Machine(o.kernel, linux=True, initrd=o.initrd,
                              cmdline=o.append, cpus=o.cpus, mem_mb=o.mem,
                              timeout=o.timeout, handler=panda.dispatch,
                              console=console)
        else:
            m = _core.Machine(guest, cmdline=o.cmdline +
                          ("" if o.verbose else " quiet"),
                              cpus=o.cpus, mem_mb=o.mem, timeout=o.timeout,
                              handler=panda.dispatch, console=console)
    except OSError as e:
        if e.filename == "/dev/kvm":
            _say("KVM is not usable: %s; load kvm_intel or kvm_amd and "
                 "join the kvm group, or run through scripts/with-kvm; "
                 "exit code %d" % (e, EXIT_KVM), always=True)
            return EXIT_KVM
        _say("cannot start the guest from %s: %s; exit code %d"
             % (e.filename, e.strerror, EXIT_USAGE), always=True)
        return EXIT_USAGE
    m.subscribe(panda.rules())
    try:
        result = m.run()
    except Exception:
        if not o.quiet:
            console.flush()
        traceback.print_exc()
        _say("plugin error in a handler; stopping the guest; exit code %d"
             % EXIT_SCRIPT, always=True)
        return EXIT_SCRIPT
    if not o.quiet:
        console.flush()
    if result["reason"] == "timeout":
        _say("timeout after %g s; exit code %d" % (o.timeout, EXIT_TIMEOUT),
             always=True)
        return EXIT_TIMEOUT
    if result["reason"] not in ("halted", "reset", "poweroff") or \
            result["panicked"] or result["failed"]:
        _say("the guest did not finish well (%s%s); exit code %d"
             % (result["reason"], "; " + result["diagnosis"]
                if result["diagnosis"] else "", EXIT_GUEST), always=True)
        return EXIT_GUEST
    _say("guest finished; exit code 0")
    return EXIT_OK
