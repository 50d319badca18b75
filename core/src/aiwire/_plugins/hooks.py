"""Hook specifications and the records plugins register.

A plugin is a module named by an entry point in the ``aiwire`` group. It sets
``AIWIRE_PLUGIN_API`` to the plugin API version it was built for and
implements any of the hooks below with :data:`hookimpl`::

    import aiwire

    AIWIRE_PLUGIN_API = 1

    @aiwire.hookimpl
    def register_apis(register):
        register("acme-chat", "aiwire_acme.codec:AcmeCodec")

    @aiwire.hookimpl
    def register_providers(register):
        register(aiwire.ProviderSpec(id="acme", api="acme-chat",
                                     base_url="https://api.acme.test/v1",
                                     env=("ACME_API_KEY",)))

Discovery hooks run once and must stay cheap: register names and import
paths; the codec module is imported on first use. Request hooks run once per
request, never per streamed event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

import msgspec
import pluggy

if TYPE_CHECKING:
    from aiwire._wire.codec import Credentials, Request
    from aiwire._wire.exchange import RequestContext, ResponseInfo
    from aiwire.types import AssistantMessage, ImageResult, Model

__all__ = [
    "ApiSpec",
    "OAuthSpec",
    "ProviderSpec",
    "hookimpl",
    "hookspec",
]

hookspec = pluggy.HookspecMarker("aiwire")
hookimpl = pluggy.HookimplMarker("aiwire")


class ApiSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A wire protocol: its id and the codec, as ``module:attr`` or an object."""

    id: str
    codec: Any
    plugin: str = ""


class ProviderSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A host that speaks an api.

    ``env`` lists the environment variables that may hold its key, in order.
    ``auth`` is ``required`` (a key or login is needed), ``optional`` (sent
    when present) or ``none`` (local servers). ``login`` names the OAuth
    provider whose ``aiwire login`` works for it. ``compat`` is the default
    compat for every model of this provider. ``transport`` (an httpx
    transport) replaces the network, for test and offline providers.
    ``default_model`` is what ``aiwire chat`` uses when this provider's key is
    set and no ``-m`` is given. A host that differs from its api declares it:
    ``options`` lists the codec options it takes when that is fewer than the
    api's (any other option raises before a request), and ``stream_only``
    says it answers only streamed requests (``complete()`` then collects a
    stream).
    """

    id: str
    api: str
    base_url: str
    name: str = ""
    env: tuple[str, ...] = ()
    auth: Literal["required", "optional", "none"] = "required"
    login: str | None = None
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    compat: dict[str, Any] = msgspec.field(default_factory=dict)
    docs: str = ""
    default_model: str | None = None
    transport: Any = None
    options: frozenset[str] | None = None
    stream_only: bool = False
    plugin: str = ""


class OAuthSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A subscription login flow: id, display name and ``module:attr`` of its
    implementation, loaded on first use."""

    id: str
    flow: Any
    name: str = ""
    providers: tuple[str, ...] = ()
    plugin: str = ""


RegisterApi = Callable[..., None]
RegisterProvider = Callable[[ProviderSpec], None]
RegisterModels = Callable[["Iterable[Model] | Callable[[], Iterable[Model]] | str"], None]
RegisterOAuth = Callable[[OAuthSpec], None]


class AiwireSpecs:
    """The hook specifications (this class is only a namespace for pluggy)."""

    @hookspec
    def register_apis(self, register: RegisterApi) -> None:
        """Register wire protocols: ``register(api_id, codec)`` where codec is
        a ``"module:attr"`` path (preferred: imported lazily) or an object."""

    @hookspec
    def register_providers(self, register: RegisterProvider) -> None:
        """Register hosts: ``register(ProviderSpec(...))``."""

    @hookspec
    def register_models(self, register: RegisterModels) -> None:
        """Register catalog models: ``register(models)`` with an iterable of
        :class:`~aiwire.types.Model`, a zero-argument callable returning one,
        or ``"package"`` / ``"package:file.json"`` naming a catalog shipped as
        package data (see :mod:`aiwire.catalog`). Callables and packaged
        catalogs load on first lookup, keeping discovery cheap."""

    @hookspec
    def register_oauth_providers(self, register: RegisterOAuth) -> None:
        """Register login flows: ``register(OAuthSpec(...))``."""

    @hookspec(firstresult=True)
    def resolve_credentials(self, provider: ProviderSpec, model: Model) -> Credentials | None:
        """Return credentials for ``provider`` (an OAuth store, a keyring...),
        or ``None`` to let the next source answer. Explicit ``api_key`` wins
        over every hook; environment variables come after them."""

    @hookspec
    def prepare_request(self, model: Model, request: Request, call: RequestContext) -> Request | None:
        """Inspect or rewrite the outgoing request of every attempt; return a
        replacement or ``None`` (in-place changes are kept). ``call`` has the
        credentials, options and attempt number; take only the arguments you
        need. Header names are case-insensitive (``request.headers`` is a
        :class:`~aiwire.plugin.Headers`)."""

    @hookspec
    def on_response(self, model: Model, response: ResponseInfo, call: RequestContext) -> None:
        """Observe the response status and headers, before the body is read."""

    @hookspec
    def on_message_end(self, model: Model, message: AssistantMessage, call: RequestContext) -> None:
        """Observe the final message of every call (usage, cost, tracing)."""

    @hookspec
    def on_images_end(self, model: Model, result: ImageResult, call: RequestContext) -> None:
        """Observe the result of every image generation (usage, cost, tracing)."""

    @hookspec
    def classify_error(self, message: AssistantMessage) -> str | None:
        """Say what kind of failure ``message`` is, for errors the built-in
        patterns miss: ``"context_overflow"``, ``"rate_limited"``, ``"auth"``
        or ``None``. Called only by :mod:`aiwire.classify`, never per event."""
