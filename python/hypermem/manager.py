# SPDX-License-Identifier: MIT
"""`plugins`: the plugins of one run, by name, and their events.

One object for both vocabularies: the original's `plugins.hypermem` and
penguin's `plugins.syscalls`, `plugins.mem`, ..., the plugins a run loaded
(`plugins.MyPlugin`, `plugins.my_plugin`: a name matches whatever its case
and underscores), and the events plugins offer one another
(`plugins.register(self, "event")`, `plugins.subscribe(plugin, "event",
cb)`, `plugins.publish(self, "event", ...)`).
"""
import re
from typing import Any


class HypermemUnsupported(NotImplementedError):
    """What penguin or PANDA can do and hypermem cannot: the message says
    what hypermem offers instead, where it has something."""


def camel_to_snake(name):
    """"ExitMonitor" -> "exit_monitor", as penguin names its loggers."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _key(name):
    return name.replace("_", "").lower()


def _is_generator(value):
    return hasattr(value, "send") and hasattr(value, "throw")


class PluginManager:
    """The registry of one run's plugins and of the events they offer."""

    def __init__(self):
        self._by_key = {}       # _key(name) -> plugin
        self._unsupported = {}  # _key(name) -> what to say
        self._order = []        # plugins in load order
        self._events = {}       # (id(plugin), event) -> [callbacks]
        self._notify = {}       # (id(plugin), event) -> register_notify
        self.panda: Any = None
        self.args: dict = {}

    def add(self, name, plugin, *aliases):
        """Make plugin known as name (and its aliases)."""
        for n in (name,) + aliases:
            self._by_key[_key(n)] = plugin
        if plugin not in self._order:
            self._order.append(plugin)
        return plugin

    def add_unsupported(self, message, *names):
        for n in names:
            self._unsupported[_key(n)] = message

    def get_plugin_by_name(self, name):
        return self._by_key.get(_key(name))

    def loaded(self):
        return list(self._order)

    def __contains__(self, name):
        return self.get_plugin_by_name(name) is not None

    def __getitem__(self, name):
        return getattr(self, name)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        plugin = self.__dict__["_by_key"].get(_key(name))
        if plugin is not None:
            return plugin
        message = self.__dict__["_unsupported"].get(_key(name))
        if message:
            raise HypermemUnsupported("plugins.%s: %s" % (name, message))
        raise AttributeError(
            "plugins.%s: no plugin of that name is loaded (loaded: %s)"
            % (name, ", ".join(sorted({type(p).__name__
                                       for p in self._order}))))

    # ---- events between plugins, as penguin's ----

    def register(self, plugin, event, register_notify=None):
        """plugin offers event; register_notify(event, cb) hears of each
        new subscriber."""
        self._events.setdefault((id(plugin), event), [])
        if register_notify is not None:
            self._notify[(id(plugin), event)] = register_notify

    def _callbacks(self, plugin, event):
        cbs = self._events.get((id(plugin), event))
        if cbs is None:
            raise ValueError("%s offers no event %r (plugins.register() "
                             "it first)" % (type(plugin).__name__, event))
        return cbs

    def subscribe(self, plugin, event, callback=None):
        """callback(*what publish() gives) at each of plugin's event;
        without callback, a decorator."""
        if callback is None:
            return lambda cb: self.subscribe(plugin, event, cb) or cb
        self._callbacks(plugin, event).append(callback)
        notify = self._notify.get((id(plugin), event))
        if notify:
            notify(event, callback)
        return None

    def subscribers(self, plugin, event):
        return list(self._events.get((id(plugin), event), ()))

    def publish(self, plugin, event, *args, **kwargs):
        """Call each subscriber; one that is a generator performs its
        operations on the event being handled."""
        for cb in list(self._callbacks(plugin, event)):
            result = cb(*args, **kwargs)
            if _is_generator(result):
                self.hypermem._drive(cb, result)

    def portal_publish(self, plugin, event, *args, **kwargs):
        """publish() for a generator handler: yield from it."""
        for cb in list(self._callbacks(plugin, event)):
            result = cb(*args, **kwargs)
            if _is_generator(result):
                yield from result


plugins = PluginManager()
