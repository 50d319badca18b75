"""Plugin discovery and the registries of apis, providers, models and logins.

Discovery walks the ``aiwire`` entry-point group with its own loop so that one
broken plugin is isolated: it gets a warning and an error row in
``aiwire plugins``, and everything else keeps working. ``AIWIRE_STRICT_PLUGINS=1``
turns such failures into :class:`~aiwire.errors.PluginError`.

Registration hooks are called through pluggy, one plugin at a time (a subset
hook caller holding only that plugin), so ``specname``, ``tryfirst`` /
``trylast`` and wrappers behave as pluggy documents; what a plugin registers is
staged and committed only when all of its hooks succeeded.

Request hooks are run by the ``run_*`` methods, one implementation at a time
in pluggy's call order, so that a failure is reported with the plugin's name:

- raised by an *owner* of the call (the plugin that registered the call's
  provider, api or login, or aiwire's built-in plugin), the call fails: an
  :class:`~aiwire.errors.AiwireError` propagates as it is (it is the plugin's
  message to the user), anything else becomes ``PluginError("plugin 'x' failed
  in prepare_request: ValueError: ...")``;
- raised by any other plugin (``prepare_request``, ``resolve_credentials``),
  or by any observer (``on_response``, ``on_message_end``, ``on_images_end``)
  or ``classify_error``,
  it is logged on the ``aiwire`` logger naming the plugin (a warning with the
  traceback the first time per plugin and hook, debug after that) and the call
  carries on without that implementation.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import msgspec
import pluggy

from aiwire._plugins.hooks import (
    AiwireSpecs,
    ApiSpec,
    CodecContext,
    CommandSpec,
    InstallHint,
    OAuthSpec,
    ProviderSpec,
)
from aiwire._wire.codec import API_VERSION, SUPPORTED_API_VERSIONS, Credentials, Request, is_chat_codec
from aiwire.errors import AiwireError, PluginError
from aiwire.types import Model

if TYPE_CHECKING:
    from aiwire._wire.exchange import RequestContext, ResponseInfo
    from aiwire.types import AssistantMessage, EmbeddingResult, ImageResult

__all__ = ["PluginInfo", "Registry", "get_registry", "register_plugin", "reset"]

ENTRY_POINT_GROUP = "aiwire"
BUILTIN_PLUGIN = "aiwire._demo.builtin"
BUILTIN_NAME = "aiwire"  # the built-in plugin's name in `aiwire plugins`
_HOOK_NAMES = (
    "register_apis",
    "register_providers",
    "register_models",
    "register_oauth_providers",
    "register_install_hints",
    "register_commands",
)
_REQUEST_HOOKS = frozenset(
    {"resolve_credentials", "prepare_request", "on_response", "on_message_end", "on_images_end", "on_embeddings_end"}
    | {"classify_error"}
    | {"on_call_start", "on_agent_start", "on_agent_end", "on_tool_call_start", "on_tool_call_end"}
)

log = logging.getLogger("aiwire")


class PluginInfo(msgspec.Struct, kw_only=True):
    """One row of ``aiwire plugins``."""

    name: str
    module: str = ""
    distribution: str = ""
    version: str = ""
    hooks: list[str] = msgspec.field(default_factory=list)
    api: int | None = None
    """The plugin API version it was loaded under."""
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
        self._pm = pluggy.PluginManager("aiwire")
        self._pm.add_hookspecs(AiwireSpecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.apis: dict[str, ApiSpec] = {}
        self.providers: dict[str, ProviderSpec] = {}
        self.oauth: dict[str, OAuthSpec] = {}
        self.hints: list[InstallHint] = []
        self.commands: dict[str, CommandSpec] = {}
        self._model_sources: list[tuple[str, Any]] = []
        self._models: dict[tuple[str, str], Model] | None = None
        self._codecs: dict[str, Any] = {}
        self._flows: dict[str, Any] = {}
        self._building: list[str] = []  # apis being built, by the thread holding _codec_lock
        self._codec_lock = threading.RLock()
        self._reported: set[tuple[str, str]] = set()
        self._user_agents: dict[str, str] = {}
        self._lock = threading.Lock()
        self._by_provider: dict[str, dict[tuple[str, str], Model]] = {}
        # Indexed plugins not imported yet: (name, import path, has request hooks).
        self._pending: list[tuple[str, str, bool]] = []
        self._pending_hooks = False
        self._order: list[str] = []  # the indexed plugins, in discovery order
        self._discovered = False
        self._late: list[tuple[Any, str]] = []  # plugins added after an indexed discovery
        self.strict = os.environ.get("AIWIRE_STRICT_PLUGINS", "") not in ("", "0")

    @property
    def pm(self) -> pluggy.PluginManager:
        """The pluggy manager, every plugin registered in it (indexed plugins
        are imported now)."""
        if self._pending:
            self._load_pending(request_only=False)
        return self._pm

    # -- loading --------------------------------------------------------------

    def discover(self) -> None:
        """The built-in plugin, then the installed ones: from the plugin index
        when it is current (see :mod:`aiwire._plugins.index`), else from the
        entry points, writing the index for the next process."""
        self.add_builtin()
        from aiwire._plugins import index

        path = index.index_path()
        if path is None:
            self._discover_entry_points()
            return
        key = index.current_key(_core_version())
        found = index.load(path, key)
        if found is not None:
            self._from_index(found)
            return
        before = set(sys.modules)
        entries = self._discover_entry_points()
        if entries is not None:
            from aiwire._plugins.indexing import build_index

            index.save(path, build_index(self, key, entries, before))

    def _discover_entry_points(self) -> list[tuple[str, str]] | None:
        """Load the plugins the entry points name; their names and import
        paths, or ``None`` when one did not load (nothing to index)."""
        loaded: list[tuple[str, str]] = []
        clean = True
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
                clean = False
                self._broken(ep.name, ep.value, dist_name, version, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self._add(module, ep.name, dist=dist_name, version=version)
            clean = clean and self.plugins[ep.name].status == "ok"
            loaded.append((ep.name, ep.value))
        return loaded if clean else None

    def _from_index(self, found: Any) -> None:
        """Register what the index recorded; a plugin is imported only when
        something it registered is used (its request hooks on the first call)."""
        for e in found.entries:
            self._order.append(e.name)
            if e.status != "ok":
                self.plugins[e.name] = PluginInfo(
                    name=e.name, module=e.module, distribution=e.distribution, version=e.version, status=e.status
                )
                continue
            if e.eager:
                try:
                    module = _load_object(e.module)
                except Exception as exc:
                    self._broken(
                        e.name, e.module, e.distribution, e.version, f"import failed: {type(exc).__name__}: {exc}"
                    )
                    continue
                self._add(module, e.name, dist=e.distribution, version=e.version)
                continue
            self.apis.update((a, ApiSpec(id=a, codec=c, plugin=e.name)) for a, c in e.apis)
            self.providers.update((p.id, p) for p in e.providers)
            self.oauth.update((o.id, o) for o in e.oauth)
            self.hints += e.hints
            self.commands.update((c.name, c) for c in e.commands)
            self._model_sources += [(e.name, _PackagedCatalog(c.package, c.name, c.providers)) for c in e.catalogs]
            self.plugins[e.name] = PluginInfo(
                name=e.name,
                module=e.module.partition(":")[0],
                distribution=e.distribution,
                version=e.version,
                hooks=list(e.hooks),
                api=e.api,
            )
            if set(e.hooks) - set(_HOOK_NAMES):
                hooked = bool(_REQUEST_HOOKS.intersection(e.hooks))
                self._pending.append((e.name, e.module, hooked))
                self._pending_hooks = self._pending_hooks or hooked
        self._discovered = True
        self._models = None

    def _load_pending(self, *, request_only: bool) -> None:
        """Import indexed plugins and register their hooks (not their register
        hooks: the index holds what those registered), keeping pluggy's call
        order as if they had been registered at discovery."""
        with self._codec_lock:
            todo = [p for p in self._pending if p[2] or not request_only]
            if not todo:
                return
            self._pending = [p for p in self._pending if p not in todo]
            self._pending_hooks = any(p[2] for p in self._pending)
            loaded: dict[str, Any] = {}
            for name, path, _ in todo:
                try:
                    loaded[name] = _load_object(path)
                except Exception as exc:  # noqa: PERF203 (one broken plugin must not stop the others)
                    info = self.plugins[name]
                    self._broken(name, path, info.distribution, info.version, f"{type(exc).__name__}: {exc}")
            # pluggy calls the last registered first: register again, in
            # discovery order, every plugin registered after the built-in one.
            order = [*self._order, *(n for _, n in self._late)]
            present = {n: self._pm.get_plugin(n) for n in order if self._pm.has_plugin(n)}
            for module in present.values():
                self._pm.unregister(module)
            failed: list[tuple[str, Exception]] = []
            for name in order:
                if name in present:
                    self._pm.register(present[name], name=name)
                elif name in loaded:
                    try:
                        self._pm.register(loaded[name], name=name)
                    except Exception as exc:  # reported below, once every plugin is back
                        failed.append((name, exc))
            for name, error in failed:
                info = self.plugins[name]
                self._broken(name, info.module, info.distribution, info.version, f"invalid hooks: {error}")

    def add_builtin(self) -> None:
        """Core's own plugin (the offline demo and the faux api), loaded by
        name like any installed plugin."""
        self._add(importlib.import_module(BUILTIN_PLUGIN), BUILTIN_NAME, dist="aiwire", version=_core_version())

    def add_config(self) -> None:
        """The providers and models of the user's ``config.toml`` (raises
        :class:`~aiwire._plugins.config.ConfigFileError` when it is invalid)."""
        from aiwire._plugins.config import CONFIG_PLUGIN, config_registrations

        providers, models, path = config_registrations(self.providers)
        if not path:
            return
        self.providers.update((p.id, p) for p in providers)
        if models:
            self._model_sources.append((CONFIG_PLUGIN, models))
        self.plugins[CONFIG_PLUGIN] = PluginInfo(name=CONFIG_PLUGIN, module=path, hooks=["config.toml"])
        self._models = None
        self._by_provider.clear()

    def _add(self, module: Any, name: str, *, dist: str = "", version: str = "") -> None:
        modname = getattr(module, "__name__", type(module).__name__)
        if name in self.plugins and self.plugins[name].status == "ok":
            self._broken(name, modname, dist, version, f"a plugin named {name!r} is already registered")
            return
        api, refused = _negotiate(getattr(module, "AIWIRE_PLUGIN_API", None))
        if refused is not None:
            self._broken(name, modname, dist, version, refused, status="refused")
            return
        try:
            self._pm.register(module, name=name)
        except Exception as exc:
            self._broken(name, modname, dist, version, f"invalid hooks: {exc}")
            return
        callers = self._pm.get_hookcallers(module) or []
        hooks = sorted(c.name for c in callers)
        # Register into a scratch record first so a plugin that fails halfway
        # leaves nothing behind.
        staged: dict[str, list[Any]] = {h: [] for h in _HOOK_NAMES}
        try:
            _check_hooks(module, callers)
            others = [p for p in self._pm.get_plugins() if p is not module]
            for hook in _HOOK_NAMES:
                if hook in hooks:
                    # pluggy calls this plugin's implementations only, honouring
                    # specname, tryfirst/trylast and wrappers.
                    self._pm.subset_hook_caller(hook, others)(register=_stager(hook, staged[hook]))
            self._commit(name, staged)
        except Exception as exc:
            self._pm.unregister(module)
            self._broken(name, modname, dist, version, f"{type(exc).__name__}: {exc}")
            return
        self.plugins[name] = PluginInfo(
            name=name, module=modname, distribution=dist, version=version, hooks=hooks, api=api
        )
        if self._pending and self._discovered:
            self._late.append((module, name))
        self._models = None
        self._by_provider.clear()

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
        commands = [msgspec.structs.replace(c, plugin=plugin) for c in staged["register_commands"]]
        for c in commands:
            if c.name in self.commands:
                raise PluginError(
                    f"command {c.name!r} is registered by both {self.commands[c.name].plugin!r} and {plugin!r}; "
                    "uninstall one, or disable one with AIWIRE_DISABLE_PLUGINS"
                )
        self.apis.update((a.id, a) for a in apis)
        self.providers.update((p.id, p) for p in providers)
        self.oauth.update((o.id, o) for o in oauth)
        self.hints += [msgspec.structs.replace(h, plugin=plugin) for h in staged["register_install_hints"]]
        self.commands.update((c.name, c) for c in commands)
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

    # -- request hooks -----------------------------------------------------------

    def run_resolve_credentials(self, provider: ProviderSpec, model: Model) -> Credentials | None:
        """The first credentials a ``resolve_credentials`` hook returns, in
        pluggy's order, or ``None``. See the module docstring for failures."""
        for impl in self._impls("resolve_credentials"):
            try:
                result = _call(impl, provider=provider, model=model)
                if result is not None and not isinstance(result, Credentials):
                    raise TypeError(f"returned {type(result).__name__}, not Credentials or None")
            except Exception as exc:
                self._hook_failed(impl, "resolve_credentials", exc, model)
                continue
            if result is not None:
                return result
        return None

    def run_prepare_request(self, ctx: RequestContext) -> Request:
        """Apply every ``prepare_request`` hook in pluggy's order; each sees the
        request the previous one left (returned, or edited in place). Sets and
        returns ``ctx.request``."""
        for impl in self._impls("prepare_request"):
            try:
                result = _call(impl, model=ctx.model, request=ctx.request, call=ctx)
                if result is not None and not isinstance(result, Request):
                    raise TypeError(f"returned {type(result).__name__}, not Request or None")
            except Exception as exc:
                self._hook_failed(impl, "prepare_request", exc, ctx.model)
                continue
            if result is not None:
                ctx.request = result
        return ctx.request

    def run_on_response(self, ctx: RequestContext, info: ResponseInfo) -> None:
        """Tell every ``on_response`` observer; a failing one is only logged."""
        self._observe("on_response", ctx, response=info)

    def run_on_message_end(self, ctx: RequestContext, message: AssistantMessage) -> None:
        """Tell every ``on_message_end`` observer; a failing one is only logged."""
        self._observe("on_message_end", ctx, message=message)

    def run_on_images_end(self, ctx: RequestContext, result: ImageResult) -> None:
        """Tell every ``on_images_end`` observer; a failing one is only logged."""
        self._observe("on_images_end", ctx, result=result)

    def run_on_embeddings_end(self, ctx: RequestContext, result: EmbeddingResult) -> None:
        """Tell every ``on_embeddings_end`` observer; a failing one is only logged."""
        self._observe("on_embeddings_end", ctx, result=result)

    def notify(self, hook: str, **kwargs: Any) -> None:
        """Tell every implementation of the observer ``hook`` (agent and call
        start hooks); a failing one is only logged. Costs one lookup when
        nothing implements it."""
        for impl in self._impls(hook):
            try:
                _call(impl, **kwargs)
            except Exception as exc:  # noqa: PERF203 (one observer must not silence the next)
                self._report(impl.plugin_name, hook, exc)

    def user_agent(self, api: str) -> str:
        """``aiwire/<version>`` and the token of the distribution that
        implements ``api`` (``aiwire-openai/0.2``), cached per api."""
        ua = self._user_agents.get(api)
        if ua is None:
            ua = f"aiwire/{_core_version()}"
            spec = self.apis.get(api)
            info = self.plugins.get(spec.plugin) if spec is not None else None
            if info is not None and info.distribution and info.distribution != "aiwire" and info.version:
                ua += f" {info.distribution}/{info.version}"
            self._user_agents[api] = ua
        return ua

    def run_classify_error(self, message: AssistantMessage) -> set[str]:
        """Every kind the ``classify_error`` hooks name for ``message``; a
        raising one is logged with its plugin's name and ignored (it must not
        hide the built-in answer)."""
        kinds: set[str] = set()
        for impl in self._impls("classify_error"):
            try:
                kind = _call(impl, message=message)
            except Exception as exc:
                self._report(impl.plugin_name, "classify_error", exc)
                continue
            if kind:
                kinds.add(kind)
        return kinds

    def _impls(self, hook: str) -> list[Any]:
        if self._pending_hooks:
            self._load_pending(request_only=True)
        # get_hookimpls() lists implementations in reverse call order.
        impls = getattr(self._pm.hook, hook).get_hookimpls()
        impls.reverse()
        return impls  # type: ignore[no-any-return]

    def _observe(self, hook: str, ctx: RequestContext, **kwargs: Any) -> None:
        for impl in self._impls(hook):
            try:
                _call(impl, model=ctx.model, call=ctx, **kwargs)
            except Exception as exc:  # noqa: PERF203 (one observer must not silence the next)
                self._report(impl.plugin_name, hook, exc)

    def owners(self, model: Model) -> set[str]:
        """The plugins a call to ``model`` depends on: those that registered its
        provider, api, image api or login, and aiwire's built-in plugin."""
        out = {BUILTIN_NAME}
        for api in (model.api, model.compat.get("image_api")):
            spec = self.apis.get(api) if isinstance(api, str) else None
            if spec is not None:
                out.add(spec.plugin)
        provider = self.providers.get(model.provider)
        if provider is not None:
            out.add(provider.plugin)
            login = self.oauth.get(provider.login) if provider.login else None
            if login is not None:
                out.add(login.plugin)
        out.update(o.plugin for o in self.oauth.values() if model.provider in o.providers)
        return out

    def _hook_failed(self, impl: Any, hook: str, exc: Exception, model: Model) -> None:
        plugin = impl.plugin_name
        if plugin in self.owners(model):
            if isinstance(exc, AiwireError):
                raise exc
            raise PluginError(f"plugin {plugin!r} failed in {hook}: {type(exc).__name__}: {exc}") from exc
        self._report(plugin, hook, exc, skipped=True)

    def _report(self, plugin: str, hook: str, exc: Exception, *, skipped: bool = False) -> None:
        what = "was skipped for this call" if skipped else "was ignored"
        msg = f"plugin {plugin!r} failed in {hook} and {what}: {type(exc).__name__}: {exc}"
        key = (plugin, hook)
        if key in self._reported:
            log.debug(msg)
            return
        self._reported.add(key)
        log.warning(msg + " (reported once per plugin and hook)", exc_info=exc)

    # -- lookups ----------------------------------------------------------------

    def login_flow(self, login_id: str) -> Any:
        """The flow object of login ``login_id`` (imported and built on first use)."""
        flow = self._flows.get(login_id)
        if flow is not None:
            return flow
        spec = self.oauth[login_id]
        obj: Any = spec.flow
        with self._codec_lock:
            if isinstance(obj, str):
                try:
                    obj = _load_object(obj)
                except Exception as exc:
                    raise PluginError(
                        f"plugin {spec.plugin!r} could not load the login flow {spec.id!r}: {exc}"
                    ) from exc
            if isinstance(obj, type):
                obj = obj()
            flow = self._flows.setdefault(login_id, obj)
        return flow

    def install_hint(self, *, provider: str | None = None, api: str | None = None) -> str | None:
        """The package a plugin named for ``provider`` or ``api``, if any."""
        for hint in self.hints:
            if (provider is not None and provider in hint.providers) or (api is not None and api in hint.apis):
                return hint.package
        return None

    def not_loaded(self) -> list[PluginInfo]:
        """Installed plugins that are disabled, refused or broken."""
        return [p for p in self.plugins.values() if p.status != "ok"]

    def command(self, name: str) -> Any:
        """The function of plugin command ``name`` (imported now), or ``None``."""
        spec = self.commands.get(name)
        if spec is None:
            return None
        if not isinstance(spec.target, str):
            return spec.target
        try:
            return _load_object(spec.target)
        except Exception as exc:
            raise PluginError(
                f"plugin {spec.plugin!r} could not load the command {name!r} ({spec.target}): "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def has_api(self, api: str) -> bool:
        """Whether a plugin registered ``api`` (nothing is imported)."""
        return api in self.apis

    def codec(self, api: str) -> Any:
        """The codec of ``api``, imported and built on first use, then cached."""
        codec = self._codecs.get(api)
        if codec is not None:
            return codec
        # One builder at a time; re-entrant, since a factory may look up the
        # codec it wraps (CodecContext.codec) while it is being built.
        with self._codec_lock:
            codec = self._codecs.get(api)
            if codec is None:
                codec = self._codecs[api] = self._build(api)
        return codec

    def _build(self, api: str) -> Any:
        spec = self.apis.get(api)
        if spec is None:
            from aiwire.errors import UnknownApiError

            known = ", ".join(sorted(self.apis)) or "none"
            needed_by = f"the {self._building[-1]!r} codec needs the api {api!r}, but " if self._building else ""
            package = self.install_hint(api=api)
            fix = f"pip install {package}" if package else "install the plugin that provides it (see its docs)"
            raise UnknownApiError(
                f"{needed_by}no installed plugin implements the api {api!r} (installed apis: {known}). Fix: {fix}"
            )
        if api in self._building:
            chain = " -> ".join([*self._building[self._building.index(api) :], api])
            raise PluginError(f"codecs that need each other while they are built: {chain}; look the other up lazily")
        self._building.append(api)
        try:
            obj = spec.codec
            if isinstance(obj, str):
                try:
                    obj = _load_object(obj)
                except Exception as exc:
                    raise PluginError(f"plugin {spec.plugin!r} could not load the codec for {api!r}: {exc}") from exc
            try:
                codec = _build_codec(obj, CodecContext(_CodecLookup(self), api=api, plugin=spec.plugin))
            except AiwireError:
                raise
            except Exception as exc:
                raise PluginError(
                    f"plugin {spec.plugin!r} could not build the codec for {api!r}: {type(exc).__name__}: {exc}"
                ) from exc
            _check_declared(codec, api, spec.plugin)
            return codec
        finally:
            self._building.pop()

    @property
    def models(self) -> dict[tuple[str, str], Model]:
        if self._models is None:
            with self._lock:
                if self._models is None:
                    self._models = self._load_models()
        return self._models

    def find_model(self, provider: str, model_id: str) -> Model | None:
        """The catalog model ``provider/model_id``, loading only the catalogs
        that may hold ``provider`` (the index knows which)."""
        if self._models is not None:
            return self._models.get((provider, model_id))
        found = self._by_provider.get(provider)
        if found is None:
            with self._lock:
                found = self._by_provider.get(provider)
                if found is None:
                    sources = [
                        (plugin, src)
                        for plugin, src in self._model_sources
                        if not isinstance(src, _PackagedCatalog) or src.providers is None or provider in src.providers
                    ]
                    found = self._by_provider[provider] = self._load_models(sources)
        return found.get((provider, model_id))

    def _load_models(self, sources: list[tuple[str, Any]] | None = None) -> dict[tuple[str, str], Model]:
        out: dict[tuple[str, str], Model] = {}
        owner: dict[tuple[str, str], str] = {}
        for plugin, src in self._model_sources if sources is None else sources:
            try:
                items: Iterable[Model] = src() if callable(src) else src
                batch = list(items)
            except Exception as exc:
                self._broken(plugin, "", "", "", f"its model catalog failed to load: {exc}")
                continue
            for m in batch:
                key = (m.provider, m.id)
                if key in out and owner[key] != plugin and plugin != "config":  # the user's file may override
                    raise PluginError(
                        f"model {m.provider}/{m.id} is registered by both {owner[key]!r} and {plugin!r}; "
                        f"uninstall one, or disable one with AIWIRE_DISABLE_PLUGINS"
                    )
                out[key] = m
                owner[key] = plugin
        return out


def _negotiate(declared: Any) -> tuple[int | None, str | None]:
    """The newest plugin API version both sides implement, or why there is none."""
    implemented = " and ".join(str(v) for v in SUPPORTED_API_VERSIONS)
    if declared is None:
        return None, f"does not declare AIWIRE_PLUGIN_API (this aiwire implements plugin API {implemented})"
    if isinstance(declared, int) and not isinstance(declared, bool):
        versions = {declared}
    elif isinstance(declared, (tuple, list, frozenset, set, range)) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in declared
    ):
        versions = set(declared)
    else:
        return None, f"AIWIRE_PLUGIN_API must be an int or a tuple of ints, not {declared!r}"
    common = versions & set(SUPPORTED_API_VERSIONS)
    if common:
        return max(common), None
    said = ", ".join(str(v) for v in sorted(versions)) or "none"
    fix = "upgrade aiwire" if versions and min(versions) > API_VERSION else "upgrade the plugin"
    return (
        None,
        f"built for plugin API {said}, but this aiwire {_core_version()} implements plugin API {implemented}; {fix}",
    )


def _check_hooks(module: Any, callers: list[Any]) -> None:
    for name in _HOOK_NAMES:
        obj = getattr(module, name, None)
        if callable(obj) and getattr(obj, "aiwire_impl", None) is None:
            raise PluginError(f"{name} is not marked as a hook; decorate it with @aiwire.plugin.hookimpl")
    for caller in callers:
        mine = [i for i in caller.get_hookimpls() if i.plugin is module]
        if not caller.has_spec():
            if all(i.optionalhook for i in mine):
                continue
            known = ", ".join(sorted(n for n in dir(AiwireSpecs) if not n.startswith("_")))
            raise PluginError(
                f"implements {caller.name!r}, which is not an aiwire hook (hooks: {known}); "
                "check the name, or mark it @hookimpl(optionalhook=True)"
            )
        if caller.name in _REQUEST_HOOKS and any(i.hookwrapper or i.wrapper for i in mine):
            raise PluginError(
                f"{caller.name} cannot be a hook wrapper (request hooks run one at a time); "
                "order it with tryfirst/trylast instead"
            )


def _call(impl: Any, **kwargs: Any) -> Any:
    """Call one pluggy implementation with the arguments it declares."""
    return impl.function(*[kwargs[name] for name in impl.argnames])


def _check_declared(codec: Any, api: str, plugin: str) -> None:
    """A chat codec names the options it honours: with no declaration, an
    option it ignores would be dropped without a word. Looked up on the class
    (a delegating property is not run here)."""
    if not is_chat_codec(codec):
        return  # images or embeddings only: no chat options to declare
    if hasattr(type(codec), "supported_options") or "supported_options" in getattr(codec, "__dict__", {}):
        return
    raise PluginError(
        f"plugin {plugin!r}: the codec for {api!r} ({type(codec).__name__}) does not declare supported_options; "
        "set supported_options = frozenset({...}) to the options of aiwire.plugin.CODEC_OPTIONS it honours "
        "(frozenset() for none)"
    )


def _build_codec(obj: Any, context: CodecContext) -> Any:
    """Instantiate a registered codec: an object is used as it is; a class or
    function whose first parameter is required gets ``context``, others no
    argument."""
    if not isinstance(obj, type) and (
        not callable(obj) or hasattr(obj, "build_request") or hasattr(obj, "build_image_request")
    ):
        return obj
    wants = _wants_context(obj)
    if wants is None:
        try:
            params = list(inspect.signature(obj).parameters.values())
        except (TypeError, ValueError):
            return obj()
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        wants = bool(params) and params[0].kind in positional and params[0].default is inspect.Parameter.empty
    return obj(context) if wants else obj()


def _wants_context(obj: Any) -> bool | None:
    """Whether the first parameter of a plain class or function is a required
    positional one, read from its code; ``None`` when only
    ``inspect.signature`` can tell. (For a class without ``__init__`` that
    would parse ``object``'s text signature, compiling tokenize's regular
    expressions: milliseconds on the first call.)"""
    if isinstance(obj, type):
        cls: Any = obj
        if type(cls).__call__ is not type.__call__ or cls.__new__ is not object.__new__:
            return None  # a metaclass or __new__ decides
        init = cls.__init__
        if init is object.__init__:
            return False
        fn, skip = init, 1
    else:
        fn, skip = obj, 0
    code = getattr(fn, "__code__", None)
    if code is None or not inspect.isfunction(fn):
        return None
    positional: int = code.co_argcount - skip
    return positional > 0 and positional > len(getattr(fn, "__defaults__", None) or ())


class _CodecLookup:
    """``CodecContext``'s view of a registry: ``codec(api)`` and ``has_api``."""

    __slots__ = ("_registry",)

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def __call__(self, api: str) -> Any:
        return self._registry.codec(api)

    def has_api(self, api: str) -> bool:
        return self._registry.has_api(api)


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
    if hook == "register_install_hints":

        def register_hint(hint: InstallHint) -> None:
            if not isinstance(hint, InstallHint):
                raise PluginError(f"register_install_hints takes an InstallHint, got {type(hint).__name__}")
            into.append(hint)

        return register_hint
    if hook == "register_commands":

        def register_command(name: str, target: Any, help: str = "") -> None:
            if not isinstance(name, str) or not name or name.startswith("-") or " " in name:
                raise PluginError(f"register_commands: {name!r} is not a command name")
            if not (isinstance(target, str) and ":" in target) and not callable(target):
                raise PluginError(f"register_commands: the target of {name!r} must be 'module:function' or a function")
            into.append(CommandSpec(name=name, target=target, help=help))

        return register_command
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
            into.append(_PackagedCatalog(package, name or "catalog.json"))
        else:
            into.append(models if callable(models) else list(models))

    return register_models


class _PackagedCatalog:
    """A catalog shipped as package data, loaded when called; ``providers``
    (known from the plugin index) are the providers it holds."""

    __slots__ = ("name", "package", "providers")

    def __init__(self, package: str, name: str, providers: tuple[str, ...] | None = None) -> None:
        self.package = package
        self.name = name
        self.providers = providers

    def __call__(self) -> list[Model]:
        from aiwire.catalog import load_catalog

        return load_catalog(self.package, self.name)


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
                new.add_config()
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
