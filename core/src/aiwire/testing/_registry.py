"""A fresh plugin registry for a test, with a plugin registered in-process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aiwire._plugins import registry as _registry

__all__ = ["use_plugin"]


@contextmanager
def use_plugin(plugin: object | None = None, name: str | None = None) -> Iterator[None]:
    """Rebuild plugin discovery on entry and on exit (so environment variables
    that a plugin reads while registering are read again); with ``plugin``,
    also register it in-process under ``name``, as its entry point would::

        with use_plugin(aiwire_acme, "acme"):
            model = aiwire.get_model("acme/acme-mini")

    Pass no plugin when it is installed: discovery finds it through its entry
    point.
    """
    _registry.reset()
    plugin_name = None
    if plugin is not None:
        plugin_name = str(name or getattr(plugin, "__name__", None) or repr(plugin))
        _registry.register_plugin(plugin, plugin_name)
    try:
        yield
    finally:
        if plugin_name is not None:
            _registry.unregister_plugin(plugin_name)
        _registry.reset()
