# SPDX-License-Identifier: MIT
"""Loading a run's plugins: files of either vocabulary, their arguments
(--plugin-arg, a penguin-style --config), penguin's global arguments.

A file's Plugin and PyPlugin classes are made, each with its arguments
set before its __init__; a file with neither runs as a script with
`plugins`, `logger`, `panda` and `args` in its globals, and its uninit(),
if any, runs at the end. The modules pandare2, penguin and apis (penguin's
`from apis.syscalls import ValueFilter`) are found in compat/, which only
the plugins' path has.
"""
import os
import sys
import tempfile
import types

from .manager import HypermemUnsupported, camel_to_snake, plugins
from .penguin import ArgsBox, Lazy, Plugin, make
from .plugin import PyPlugin, getColoredLogger

COMPAT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compat")


class LoadError(Exception):
    """A usage error in what names the plugins (exit code 2)."""


def _key(name):
    return name.replace("_", "").replace("-", "").lower()


def plugin_args(items):
    """--plugin-arg NAME=VALUE (every plugin's) and PLUGIN.NAME=VALUE
    (one plugin's): (global dict, {plugin key: dict})."""
    common, per_plugin = {}, {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name or name.endswith("."):
            raise LoadError("--plugin-arg %r: NAME=VALUE or "
                            "PLUGIN.NAME=VALUE" % item)
        plugin, dot, arg = name.rpartition(".")
        if dot:
            per_plugin.setdefault(_key(plugin), {})[arg] = value
        else:
            common[name] = value
    return common, per_plugin


def read_config(path):
    """A penguin-style YAML config: its mapping, and the enabled plugins
    of its `plugins:` section as (name, arguments) in file order."""
    try:
        import yaml
    except ImportError:
        raise LoadError("--config %s: reading YAML needs PyYAML (Debian's "
                        "python3-yaml)" % path) from None
    try:
        with open(path) as f:
            conf = yaml.safe_load(f) or {}
    except OSError as e:
        raise LoadError("--config %s: %s" % (path, e.strerror)) from None
    except yaml.YAMLError as e:
        raise LoadError("--config %s: %s" % (path, e)) from None
    section = conf.get("plugins") if isinstance(conf, dict) else None
    if not isinstance(section, dict):
        raise LoadError("--config %s: a mapping with a `plugins:` mapping "
                        "of plugin names to their arguments" % path)
    if conf.get("pseudofiles"):
        raise LoadError("--config %s: pseudofiles: hypermem fakes no "
                        "files or devices (a plugin may skip the syscall "
                        "and answer it)" % path)
    chosen = []
    for name, args in section.items():
        args = dict(args or {})
        if args.pop("enabled", True) is False:
            continue
        chosen.append((str(name), args))
    return conf, chosen


def find_plugin(name, proj_dir):
    """NAME's file as penguin looks for it: NAME(.py) in the project's
    folder, its plugins/ and plugins.d/, by the name as written, in lower
    case, in snake_case and in CamelCase."""
    names = dict.fromkeys((name, name.lower(), camel_to_snake(name),
                           "".join(w.capitalize() for w in name.split("_"))))
    dirs = [proj_dir, os.path.join(proj_dir, "plugins"),
            os.path.join(proj_dir, "plugins.d")]
    for d in dirs:
        for n in names:
            for path in (os.path.join(d, n + ".py"), os.path.join(d, n)):
                if os.path.isfile(path):
                    return path
    raise LoadError("plugin %s: no %s.py in %s" % (name, name,
                                                   ", ".join(dirs)))


def global_args(conf, proj_dir, verbose, outdir=None):
    """What penguin gives every plugin: plugins (the config's), conf,
    proj_name, proj_dir, plugin_path, fs and fw (None: no firmware
    image), outdir and statedir (a folder: the one given, made at the
    start, else a fresh one in the temporary folder, made when first
    asked for), verbose, telnet_port (None)."""
    made = []

    def fresh():
        if not made:
            made.append(tempfile.mkdtemp(prefix="hypermem-out-"))
        return made[0]
    if outdir:
        os.makedirs(outdir, exist_ok=True)
    folder = outdir or Lazy(fresh)
    return {
        "plugins": dict(conf.get("plugins") or {}),
        "conf": ArgsBox(conf),
        "proj_name": os.path.basename(os.path.abspath(proj_dir)),
        "proj_dir": proj_dir,
        "plugin_path": proj_dir,
        "fs": None,
        "fw": None,
        "outdir": folder,
        "statedir": folder,
        "verbose": verbose,
        "telnet_port": None,
    }, made


class ScriptPlugin:
    """A file with no plugin class: its globals, and its uninit()."""

    def __init__(self, name, module):
        self.name = name
        self.module = module

    def uninit(self):
        fn = self.module.__dict__.get("uninit")
        if callable(fn):
            fn()


class Loader:
    """The run's plugins, loaded in order; uninit() in reverse."""

    def __init__(self, panda, base, common, per_plugin):
        self.panda = panda
        self.base = base
        self.common = common
        self.per_plugin = per_plugin
        self.loaded = []
        if COMPAT not in sys.path:
            sys.path.insert(0, COMPAT)

    def args_for(self, names, config_args):
        """The global arguments, the config's for the plugin, then
        --plugin-arg's: every plugin's, then its own by any of names."""
        args = dict(self.base)
        args.update(config_args)
        args.update(self.common)
        for name in names:
            args.update(self.per_plugin.get(_key(name), {}))
        return args

    def load_file(self, path, config_name=None, config_args=None):
        """Run the file; make the plugins it defines."""
        stem = os.path.splitext(os.path.basename(path))[0]
        names = [n for n in (config_name, stem) if n]
        modname = "hypermem_plugin_%d" % len(self.loaded)
        module = types.ModuleType(modname)
        module.__file__ = path
        module.__dict__.update(
            plugins=plugins, panda=self.panda,
            logger=getColoredLogger("plugins." + camel_to_snake(stem)),
            args=ArgsBox(self.args_for(names, config_args or {})))
        sys.modules[modname] = module
        # Its own modules beside it import, as penguin's do from theirs.
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in sys.path:
            sys.path.append(folder)
        with open(path) as f:
            code = compile(f.read(), path, "exec")
        exec(code, module.__dict__)
        classes = [v for v in module.__dict__.values()
                   if isinstance(v, type) and v.__module__ == modname and
                   issubclass(v, (Plugin, PyPlugin))]
        if not classes:
            plugin = ScriptPlugin(stem, module)
            plugins.add(stem, plugin, *names)
            self.loaded.append(plugin)
            return
        for cls in classes:
            args = self.args_for(names + [cls.__name__], config_args or {})
            plugin = make(cls, args, self.panda)
            plugins.add(cls.__name__, plugin,
                        *(names if len(classes) == 1 else ()))
            self.loaded.append(plugin)

    def load_config_plugin(self, name, args, proj_dir):
        if name in plugins:
            return  # one of hypermem's: syscalls, mem, osi, ...
        try:
            getattr(plugins, name)
        except HypermemUnsupported as e:
            raise LoadError("--config: %s" % e) from None
        except AttributeError:
            pass
        self.load_file(find_plugin(name, proj_dir), name, args)

    def uninit(self):
        for plugin in reversed(self.loaded):
            fn = getattr(plugin, "uninit", None)
            if callable(fn):
                fn()
