"""Plugin discovery and the registries of apis, providers, models and logins.

Discovery walks the ``aiwire`` entry-point group with its own loop so that one
broken plugin is isolated: it gets a warning and an error row in
``aiwire plugins``, and everything else keeps working. ``AIWIRE_STRICT_PLUGINS=1``
turns such failures into :class:`~aiwire.errors.PluginError`.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import msgspec
import pluggy

from aiwire._plugins.hooks import AiwireSpecs, ApiSpec, OAuthSpec, ProviderSpec
from aiwire._wire.codec import API_VERSION
from aiwire.errors import PluginError
from aiwire.types import Model

__all__ = ["PluginInfo", "Registry", "get_registry", "register_plugin", "reset"]

ENTRY_POINT_GROUP = "aiwire"
BUILTIN_PLUGIN = "aiwire._demo.builtin"
_HOOK_NAMES = ("register_apis", "register_providers", "register_models", "register_oauth_providers")


class PluginInfo(msgspec.Struct, kw_only=True):
    """One row of ``aiwire plugins``."""

    name: str
    module: str = ""
    distribution: str = ""
    version: str = ""
    hooks: list[str] = msgspec.field(default_factory=list)
    status: str = "ok"
    error: str | None = None


def _load_object(path: str) -> Any:
    mod, _, attr = path.partition(":")
    obj: Any = importlib.import_module(mod)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


def _env_list(name: str) -> set[str] | None:
    raw = os.environ.get(name)
    if raw is None:
        return None
    return {p.strip() for p in raw.split(",") if p.strip()}


class Registry:
    """Everything the installed plugins registered. Built once, then cached."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("aiwire")
        self.pm.add_hookspecs(AiwireSpecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.apis: dict[str, ApiSpec] = {}
        self.providers: dict[str, ProviderSpec] = {}
        self.oauth: dict[str, OAuthSpec] = {}
        self._model_sources: list[tuple[str, Any]] = []
        self._models: dict[tuple[str, str], Model] | None = None
        self._codecs: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.strict = os.environ.get("AIWIRE_STRICT_PLUGINS", "") not in ("", "0")

    # -- loading --------------------------------------------------------------

    def discover(self) -> None:
        self.add_builtin()
        allow = _env_list("AIWIRE_PLUGINS")
        deny = _env_list("AIWIRE_DISABLE_PLUGINS") or set()
        for ep in _entry_points():
            dist = getattr(ep, "dist", None)
            dist_name = getattr(dist, "name", "") or ""
            version = getattr(dist, "version", "") or ""
            names = {ep.name, dist_name}
            if (allow is not None and not names & allow) or names & deny:
                self.plugins[ep.name] = PluginInfo(
                    name=ep.name, module=ep.value, distribution=dist_name, version=version, status="disabled"
                )
                continue
            try:
                module = ep.load()
            except Exception as exc:
                self._broken(ep.name, ep.value, dist_name, version, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self._add(module, ep.name, dist=dist_name, version=version)

    def add_builtin(self) -> None:
        """Core's own plugin (the offline demo and the faux api), loaded by
        name like any installed plugin."""
        self._add(importlib.import_module(BUILTIN_PLUGIN), "aiwire", dist="aiwire", version=_core_version())

    def _add(self, module: Any, name: str, *, dist: str = "", version: str = "") -> None:
        modname = getattr(module, "__name__", type(module).__name__)
        if name in self.plugins and self.plugins[name].status == "ok":
            self._broken(name, modname, dist, version, f"a plugin named {name!r} is already registered")
            return
        declared = getattr(module, "AIWIRE_PLUGIN_API", None)
        if declared != API_VERSION:
            why = (
                f"built for plugin API {declared}, but this aiwire {_core_version()} implements "
                f"plugin API {API_VERSION}; upgrade the plugin or aiwire"
                if declared is not None
                else f"does not declare AIWIRE_PLUGIN_API (this aiwire implements {API_VERSION})"
            )
            self._broken(name, modname, dist, version, why, status="refused")
            return
        # Register into a scratch record first so a plugin that fails halfway
        # leaves nothing behind.
        staged: dict[str, list[Any]] = {h: [] for h in _HOOK_NAMES}
        try:
            self.pm.register(module, name=name)
        except Exception as exc:
            self._broken(name, modname, dist, version, f"invalid hooks: {exc}")
            return
        hooks = sorted(c.name for c in (self.pm.get_hookcallers(module) or ()))
        try:
            for hook in _HOOK_NAMES:
                impl = getattr(module, hook, None)
                if impl is not None:
                    impl(register=_stager(hook, staged[hook]))
            self._commit(name, staged)
        except Exception as exc:
            self.pm.unregister(module)
            self._broken(name, modname, dist, version, f"{type(exc).__name__}: {exc}")
            return
        self.plugins[name] = PluginInfo(name=name, module=modname, distribution=dist, version=version, hooks=hooks)
        self._models = None

    def _commit(self, plugin: str, staged: dict[str, list[Any]]) -> None:
        apis = [ApiSpec(id=a, codec=c, plugin=plugin) for a, c in staged["register_apis"]]
        providers = [msgspec.structs.replace(p, plugin=plugin) for p in staged["register_providers"]]
        oauth = [msgspec.structs.replace(o, plugin=plugin) for o in staged["register_oauth_providers"]]
        for kind, table, items in (
            ("api", self.apis, apis),
            ("provider", self.providers, providers),
            ("login", self.oauth, oauth),
        ):
            for item in items:
                if item.id in table:
                    raise PluginError(
                        f"{kind} {item.id!r} is registered by both {table[item.id].plugin!r} and {plugin!r}; "
                        f"uninstall one, or disable one with AIWIRE_DISABLE_PLUGINS"
                    )
        self.apis.update((a.id, a) for a in apis)
        self.providers.update((p.id, p) for p in providers)
        self.oauth.update((o.id, o) for o in oauth)
        for src in staged["register_models"]:
            self._model_sources.append((plugin, src))

    def _broken(self, name: str, module: str, dist: str, version: str, error: str, status: str = "error") -> None:
        self.plugins[name] = PluginInfo(
            name=name, module=module, distribution=dist, version=version, status=status, error=error
        )
        msg = f"aiwire plugin {name!r} ({dist or module}) was not loaded: {error}"
        if self.strict:
            raise PluginError(msg)
        warnings.warn(msg + " (set AIWIRE_STRICT_PLUGINS=1 to make this an error)", RuntimeWarning, stacklevel=4)

    # -- lookups ----------------------------------------------------------------

    def codec(self, api: str) -> Any:
        codec = self._codecs.get(api)
        if codec is not None:
            return codec
        spec = self.apis.get(api)
        if spec is None:
            from aiwire.errors import UnknownApiError

            known = ", ".join(sorted(self.apis)) or "none"
            raise UnknownApiError(
                f"no installed plugin implements the api {api!r} (installed apis: {known}). "
                f"Install the plugin that provides it, e.g. pip install aiwire-anthropic"
            )
        obj = spec.codec
        if isinstance(obj, str):
            try:
                obj = _load_object(obj)
            except Exception as exc:
                raise PluginError(f"plugin {spec.plugin!r} could not load the codec for {api!r}: {exc}") from exc
        if isinstance(obj, type):
            obj = obj()
        self._codecs[api] = obj
        return obj

    @property
    def models(self) -> dict[tuple[str, str], Model]:
        if self._models is None:
            with self._lock:
                if self._models is None:
                    self._models = self._load_models()
        return self._models

    def _load_models(self) -> dict[tuple[str, str], Model]:
        out: dict[tuple[str, str], Model] = {}
        owner: dict[tuple[str, str], str] = {}
        for plugin, src in self._model_sources:
            try:
                items: Iterable[Model] = src() if callable(src) else src
                batch = list(items)
            except Exception as exc:
                self._broken(plugin, "", "", "", f"its model catalog failed to load: {exc}")
                continue
            for m in batch:
                key = (m.provider, m.id)
                if key in out and owner[key] != plugin:
                    raise PluginError(
                        f"model {m.provider}/{m.id} is registered by both {owner[key]!r} and {plugin!r}; "
                        f"uninstall one, or disable one with AIWIRE_DISABLE_PLUGINS"
                    )
                out[key] = m
                owner[key] = plugin
        return out


def _stager(hook: str, into: list[Any]) -> Callable[..., None]:
    if hook == "register_apis":

        def register_api(api: str, codec: Any) -> None:
            if not isinstance(api, str) or not api:
                raise PluginError(f"register_apis: api id must be a non-empty string, got {api!r}")
            into.append((api, codec))

        return register_api
    if hook == "register_providers":

        def register_provider(spec: ProviderSpec) -> None:
            if not isinstance(spec, ProviderSpec):
                raise PluginError(f"register_providers takes a ProviderSpec, got {type(spec).__name__}")
            into.append(spec)

        return register_provider
    if hook == "register_oauth_providers":

        def register_oauth(spec: OAuthSpec) -> None:
            if not isinstance(spec, OAuthSpec):
                raise PluginError(f"register_oauth_providers takes an OAuthSpec, got {type(spec).__name__}")
            into.append(spec)

        return register_oauth

    def register_models(models: Any) -> None:
        if isinstance(models, str):
            # "package" or "package:file.json": a catalog shipped as package data.
            package, _, name = models.partition(":")
            into.append(lambda: _packaged_catalog(package, name or "catalog.json"))
        else:
            into.append(models if callable(models) else list(models))

    return register_models


def _packaged_catalog(package: str, name: str) -> list[Model]:
    from aiwire.catalog import load_catalog

    return load_catalog(package, name)


def _entry_points() -> list[Any]:
    if sys.version_info >= (3, 12):
        from importlib.metadata import entry_points
    else:
        from importlib_metadata import entry_points
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def _core_version() -> str:
    from aiwire import __version__

    return __version__


_registry: Registry | None = None
_registry_lock = threading.Lock()
_extra: list[tuple[Any, str]] = []


def get_registry() -> Registry:
    """The process-wide registry, discovered on first use."""
    global _registry
    reg = _registry
    if reg is None:
        with _registry_lock:
            if _registry is None:
                new = Registry()
                new.discover()
                for module, name in _extra:
                    new._add(module, name)
                _registry = new
            reg = _registry
    return reg


def register_plugin(module: Any, name: str | None = None) -> None:
    """Register a plugin object in-process (tests, apps embedding a provider).

    It must declare ``AIWIRE_PLUGIN_API`` like an installed plugin.
    """
    plugin_name = str(name or getattr(module, "__name__", None) or repr(module))
    _extra.append((module, plugin_name))
    reg = _registry
    if reg is not None:
        reg._add(module, plugin_name)


def unregister_plugin(name: str) -> None:
    """Forget an in-process plugin and rebuild the registry on next use."""
    _extra[:] = [(m, n) for m, n in _extra if n != name]
    reset()


def reset() -> None:
    """Drop the cached registry; the next lookup discovers again."""
    global _registry
    with _registry_lock:
        _registry = None
