# SPDX-License-Identifier: MIT
"""Penguin's plugin API without a guest: its filters as hypermem's filter
mappings, the loader (both Plugin styles, PyPlugin, scripts, arguments,
the config), the handlers' objects on a simulated event, and what
hypermem cannot do said as such.

usage: test_penguin.py
"""
import errno
import os
import shutil
import subprocess
import sys
import tempfile

import hypermem
from hypermem import loader, penguin
from hypermem.manager import HypermemUnsupported, plugins
from hypermem.penguin import ValueFilter as VF
from hypermem.penguin import filter_of, filter_value
from hypermem.runner import Panda
from tap import check, done


def raises(fn, kind):
    try:
        fn()
    except kind as e:
        return str(e)
    return None


# ---- ValueFilter -> hypermem's filter mapping ----

MAPPED = (
    (VF.exact(3), 3), (VF.not_equal(3), {"ne": 3}), (VF.greater(3), {"gt": 3}),
    (VF.greater_equal(3), {"ge": 3}), (VF.less(3), {"lt": 3}),
    (VF.less_equal(3), {"le": 3}), (VF.range(2, 9), (2, 9)),
    (VF.bitmask_set(0x41), {"bits_set": 0x41}),
    (VF.bitmask_clear(0x2), {"bits_clear": 0x2}),
    (VF.string_exact("/etc"), {"str": "/etc"}),
    (VF.string_contains("pass"), {"contains": "pass"}),
    (VF.string_startswith("/dev/"), {"prefix": "/dev/"}),
    (VF.string_endswith(".ko"), {"suffix": ".ko"}),
    (7, 7), (-2, -2), ("/proc", {"prefix": "/proc"}),
)
for f, want in MAPPED:
    got = filter_value("arg2", f)
    check(got == want, "arg filter %r -> %r (%r)" % (f, want, got))
check(filter_value("ret", VF.success()) == {"success": True} and
      filter_value("ret", VF.error()) == {"error": True},
      "retval_filter success() and error() -> {success|error: True}")
check(filter_of([None, 0x89f0, None, "/x"], "hwaddr", 12,
                VF.less(0)) == {"arg2": 0x89f0, "arg4": {"prefix": "/x"},
                                "comm": "hwaddr", "pid": 12,
                                "ret": {"lt": 0}},
      "filter_of: each argument's key, comm, pid and ret")
check("for the return value" in (raises(
    lambda: filter_value("arg1", VF.success()), ValueError) or ""),
    "success() on an argument is refused")
check(raises(lambda: filter_value("ret", "x"), ValueError) ==
      "filter ret: a return value is no string", "a str retval is refused")
check(raises(lambda: filter_of([None] * 7), ValueError) ==
      "arg_filters: at most 6, one per argument", "7 arg filters refused")
check(raises(lambda: filter_value("arg1", 1.5), TypeError) is not None,
      "a float filter is refused")

# ---- hook names ----

NAMES = (
    (("on_sys_openat_enter", None, None), ("openat", ["enter"])),
    (("on_sys_finit_module_return", None, None), ("finit_module",
                                                  ["return"])),
    (("on_all_sys_enter", None, None), (None, ["enter"])),
    (("openat", None, True), ("openat", ["return"])),
    (("sys_openat", True, True), ("openat", ["enter", "return"])),
    (("compat_sys_read", None, None), ("read", ["enter"])),
    ((None, None, True), (None, ["return"])),
)
for args, want in NAMES:
    got = penguin._parse_name(*args)
    check(got == want, "name %r -> %r (%r)" % (args, want, got))
check("on_all_sys_enter" in (raises(lambda: penguin._parse_name(
    "on_unknown_sys_enter", None, None), HypermemUnsupported) or ""),
    "on_unknown_sys_*: hypermem names every syscall, said")

# ---- what hypermem cannot do ----

for name in ("uprobes", "kprobes", "kffi", "pseudofiles", "portal"):
    said = raises(lambda: getattr(plugins, name), NotImplementedError)
    check(said is not None and said.startswith("plugins.%s: " % name),
          "plugins.%s raises NotImplementedError: %s" % (name, said))
check(issubclass(HypermemUnsupported, NotImplementedError),
      "HypermemUnsupported is a NotImplementedError")
said = raises(lambda: Panda().cb_before_block_exec, HypermemUnsupported)
check(said is not None and "panda.hsyscall()" in said,
      "panda.cb_*: PANDA's API is not hypermem's (%s)" % said)
check(raises(lambda: plugins.nonesuch, AttributeError).startswith(
    "plugins.nonesuch: no plugin of that name is loaded"),
    "an unknown plugin name is an AttributeError that says so")

# ---- arguments and the config ----

common, per = loader.plugin_args(["a=1", "ReadLogger.max_bytes=4",
                                  "x=y=z"])
check(common == {"a": "1", "x": "y=z"} and per == {"readlogger":
                                                   {"max_bytes": "4"}},
      "--plugin-arg NAME=VALUE and PLUGIN.NAME=VALUE (%r %r)"
      % (common, per))
check(raises(lambda: loader.plugin_args(["novalue"]), loader.LoadError)
      == "--plugin-arg 'novalue': NAME=VALUE or PLUGIN.NAME=VALUE",
      "--plugin-arg without = is a usage error")

work = tempfile.mkdtemp(prefix="test-penguin-")


def write(name, text):
    path = os.path.join(work, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


conf_path = write("conf.yaml", "core: {arch: x86_64}\nplugins:\n"
                  "  new_style: {level: 3}\n  Legacy:\n  off: "
                  "{enabled: false}\n")
conf, chosen = loader.read_config(conf_path)
check(chosen == [("new_style", {"level": 3}), ("Legacy", {})],
      "config: plugins in order, enabled: false skipped (%r)" % chosen)
bad = write("bad.yaml", "core: {}\n")
check("a mapping with a `plugins:` mapping" in str(raises(
    lambda: loader.read_config(bad), loader.LoadError)),
    "a config without plugins: is a usage error")
fake = write("fake.yaml", "plugins: {}\npseudofiles: {/dev/x: {}}\n")
check("hypermem fakes no files" in str(raises(
    lambda: loader.read_config(fake), loader.LoadError)),
    "a config with pseudofiles is refused, saying why")

write("plugins.d/legacy_helper.py", "GREETING = 'beside'\n")
write("new_style.py", """
from penguin import Plugin, PluginArgs, plugins
class NewStyle(Plugin):
    class Args(PluginArgs):
        level: int = 1
        depth: int = 5
    def __init__(self):
        self.seen = (self.get_arg("level"), self.get_arg("depth"),
                     self.get_arg_bool("verbose"), self.logger.name)
""")
write("plugins.d/Legacy.py", """
from penguin import Plugin
import legacy_helper
class Legacy(Plugin):
    def __init__(self, panda):
        self.got_panda = panda
        self.helper = legacy_helper.GREETING
""")
write("seed.py", """
from pandare2 import PyPlugin
class Seed(PyPlugin):
    def __init__(self, panda):
        self.greeting = self.get_arg("greeting")
        self.out = self.get_arg("outdir")
""")
script = write("count.py", """
seen = [type(plugins).__name__, logger.name, args.get("greeting")]
def uninit():
    seen.append("uninit")
""")
check(loader.find_plugin("Legacy", work).endswith("plugins.d/Legacy.py")
      and loader.find_plugin("NewStyle", work).endswith("new_style.py"),
      "find_plugin: plugins.d/, and a CamelCase name's snake_case file")

panda = Panda()
base, made = loader.global_args(conf, work, False)
plugins.panda = panda
ld = loader.Loader(panda, base, {"greeting": "hi"},
                   {"newstyle": {"depth": "9"}})
for name, args in chosen:
    ld.load_config_plugin(name, args, work)
check(not made, "outdir: not made while no plugin asked for it")
said = str(raises(lambda: ld.load_config_plugin("kprobes", {}, work),
                  loader.LoadError))
check(said.startswith("--config: plugins.kprobes: hypermem has no kernel "
                      "probes"), "a config naming kprobes: %s" % said)
check(raises(lambda: ld.load_config_plugin("nvram2", {}, work),
             loader.LoadError).startswith("plugin nvram2: no nvram2.py in "),
      "a config naming a plugin with no file is a usage error")
ld.load_file(os.path.join(work, "seed.py"))
ld.load_file(script)
new = plugins.NewStyle
check(new.seen == (3, 9, False, "plugins.new_style"),
      "Plugin: config arg, PluginArgs default converted from "
      "--plugin-arg text, verbose, logger plugins.<snake> (%r)"
      % (new.seen,))
check(plugins.new_style is new and plugins.NEWSTYLE is new and
      plugins["newStyle"] is new, "plugins.X whatever its case")
check(plugins.legacy.got_panda is panda, "legacy __init__(self, panda)")
check(plugins.legacy.helper == "beside", "a plugin imports a module "
      "beside it")
check(plugins.seed.greeting == "hi", "PyPlugin: get_arg before its "
      "__init__")
out = plugins.seed.out
check(os.path.isdir(out) and made == [out],
      "outdir: a fresh folder, made when first asked for (%s)" % out)
os.rmdir(out)
module = plugins.count.module
check(module.seen == ["PluginManager", "plugins.count", "hi"],
      "a script plugin has plugins, logger, args (%r)" % module.seen)
ld.uninit()
check(module.seen[-1] == "uninit", "a script plugin's uninit() runs")
found = subprocess.run([sys.executable, "-c", "import hypermem.runner\n"
                        "import pandare2"], capture_output=True, text=True)
check(found.returncode == 1 and "No module named 'pandare2'" in
      found.stderr, "pandare2 is on the plugins' path only")


# ---- handlers on a simulated event ----

class FakeEvent:
    """What a hook's handler sees of an event, and what it asked for."""

    def __init__(self, phase, nr, args, ret=None):
        self.phase, self.nr, self.args, self.ret = phase, nr, args, ret
        self.pid, self.comm, self.cpu = 7, "prog", 0
        self.calls = []

    def __getattr__(self, name):
        def op(*args):
            self.calls.append((name,) + args)
            if name == "read_fd_name" and args[0] == 99:
                raise hypermem.GuestError(errno.EBADF, "no fd 99")
            return {"read_int": 0x1234, "read_fd_name": "/dev/x"}.get(name)
        return op


def fire(hook, ev):
    plugins.hypermem._local.event = ev
    try:
        hook.call(ev)
    finally:
        plugins.hypermem._local.event = None


IOCTL = hypermem.syscall_nr("ioctl")
FINIT = hypermem.syscall_nr("finit_module")
seen = []
panda = Panda()
plugins.panda = panda


@plugins.syscalls.syscall("on_sys_ioctl_enter", comm_filter="prog",
                          arg_filters=[None, (1, 9)])
def on_ioctl(regs, proto, syscall, fd, cmd, arg):
    value = yield from plugins.mem.read_int(arg, pid=42)
    name = yield from plugins.osi.get_fd_name(99)
    regs.rdi = 5
    seen.append((proto.name, proto.nargs, proto.names, regs.rdi, value,
                 name, syscall.pid, syscall.task.comm))
    syscall.args[1] = 3
    syscall.skip_syscall = True
    syscall.retval = -1


(hook,) = panda.hooks[(IOCTL, "enter")]
ev = FakeEvent("enter", IOCTL, (4, 2, 0x1000, 0, 0, 0))
fire(hook, ev)
check(seen == [("ioctl", 3, ["fd", "cmd", "arg"], 4, 0x1234, None, 7,
                "prog")],
      "handler: proto, read-only regs, mem on pid=, None for a bad fd "
      "(%r)" % seen)
check(ev.calls == [("use_process", 42), ("read_int", 0x1000),
                   ("use_process", 0), ("read_fd_name", 99),
                   ("set_arg", 1, 3), ("skip", 0), ("skip", -1)],
      "its operations and event control, in order (%r)" % ev.calls)
check(panda.rules()[0].nr == IOCTL and
      panda.rules()[0].kind == hypermem.ENTER,
      "the hook's rule: ioctl's entry, int range and comm filters")


@plugins.syscalls.syscall("on_sys_finit_module_enter", read_only=True)
def on_finit(regs, proto, syscall, fd, uargs, flags):
    seen.append((fd, uargs, flags))
    syscall.skip_syscall = True


ev = FakeEvent("enter", FINIT, (3, 0x2000, 0, 0, 0, 0))
fire(panda.hooks[(FINIT, "enter")][0], ev)
check(seen[-1] == (3, 0x2000, 0) and ev.calls == [],
      "no argument names: as many as the handler takes; read_only: "
      "no event control (%r)" % (ev.calls,))
plugins.syscalls.unregister(on_finit)
check(not panda.hooks[(FINIT, "enter")], "unregister(function)")
off = plugins.syscalls.syscall("read", enabled=False)(print)
check(not panda.hooks.get((hypermem.syscall_nr("read"), "enter")),
      "enabled=False: no hook")
plugins.syscalls.unregister(off)


@plugins.syscalls.syscall("on_all_sys_return")
def on_any(regs, proto, syscall):
    seen.append((proto.name, syscall.retval, regs.get_retval()))


fire(panda.hooks[(None, "return")][0],
     FakeEvent("return", IOCTL, (0,) * 6, ret=-25))
check(seen[-1] == ("ioctl", -25, -25), "on_all_sys_return: proto by event")

# ---- events between plugins ----


class Source:
    pass


src, got = Source(), []
plugins.register(src, "found")
plugins.subscribe(src, "found", lambda *a, **k: got.append((a, k)))
plugins.publish(src, "found", 1, two=2)
check(got == [((1,), {"two": 2})], "publish() reaches subscribers")
check("offers no event 'lost'" in str(raises(
    lambda: plugins.publish(src, "lost"), ValueError)),
    "publishing an event never registered is an error")
penguin.start(panda)
check((hypermem.EXEC, "process") not in panda.hooks,
      "no exec hook where none subscribed to exec_event")
plugins.subscribe(plugins.Execs, "exec_event", lambda e: None)
penguin.start(panda)
check(len(panda.hooks[(hypermem.EXEC, "process")]) == 1,
      "a subscriber to exec_event: the guest's exec events")
panda.started = True
check("registered before the guest starts" in str(raises(
    lambda: plugins.syscalls.syscall("read")(print), RuntimeError)),
    "a hook after the start is refused, saying why")
shutil.rmtree(work)
done()
