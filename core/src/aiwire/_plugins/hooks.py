"""Hook specifications and the records plugins register.

A plugin is a module named by an entry point in the ``aiwire`` group. It sets
``AIWIRE_PLUGIN_API`` to the plugin API version(s) it works with (an int or a
tuple of ints) and implements any of the hooks below with :data:`hookimpl`,
imported from :mod:`aiwire.plugin` like everything else it uses::

    from aiwire.plugin import ProviderSpec, RegisterApi, RegisterProvider, hookimpl

    AIWIRE_PLUGIN_API = 2

    @hookimpl
    def register_apis(register: RegisterApi) -> None:
        register("acme-chat", "aiwire_acme.codec:AcmeCodec")

    @hookimpl
    def register_providers(register: RegisterProvider) -> None:
        register(ProviderSpec(id="acme", api="acme-chat",
                              base_url="https://api.acme.test/v1",
                              env=("ACME_API_KEY",)))

Discovery hooks run once and must stay cheap: register names and import
paths; the codec module is imported on first use. Request hooks run once per
request, never per streamed event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol, final

import msgspec
import pluggy

if TYPE_CHECKING:
    from aiwire._wire.codec import Codec, Credentials, ImageCodec, Request
    from aiwire._wire.exchange import AgentRunContext, RequestContext, ResponseInfo
    from aiwire.types import AssistantMessage, EmbeddingResult, ImageResult, Message, Model, ToolCall, ToolResultMessage

__all__ = [
    "ApiSpec",
    "CodecContext",
    "CodecFactory",
    "CommandSpec",
    "InstallHint",
    "OAuthSpec",
    "ProviderSpec",
    "RegisterApi",
    "RegisterCommand",
    "RegisterInstallHint",
    "RegisterModels",
    "RegisterOAuth",
    "RegisterProvider",
    "hookimpl",
    "hookspec",
]

hookspec = pluggy.HookspecMarker("aiwire")
"""Marks a hook specification of the ``aiwire`` project (core use)."""
hookimpl = pluggy.HookimplMarker("aiwire")
"""Marks a plugin function as an implementation of an ``aiwire`` hook."""


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
    stream). ``base_url_env`` maps the environment variables that override
    ``base_url`` (the vendor's own convention, such as ``OPENAI_BASE_URL``)
    to a path appended when a value lacks it (``ANTHROPIC_BASE_URL`` holds
    the host without ``/v1``); ``<ID>_BASE_URL`` is always checked after them.
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
    base_url_env: dict[str, str] = msgspec.field(default_factory=dict)
    plugin: str = ""


class OAuthSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A subscription login flow: id, display name and ``module:attr`` of its
    implementation, loaded on first use."""

    id: str
    flow: Any
    name: str = ""
    providers: tuple[str, ...] = ()
    plugin: str = ""


class InstallHint(msgspec.Struct, frozen=True, kw_only=True):
    """Which distribution to install for some providers, apis or key
    variables, so that errors name it: a plugin declares its own (and those
    of the plugins its providers need), e.g.
    ``InstallHint(package="aiwire-acme", providers=("acme",), env=("ACME_API_KEY",))``.
    ``env`` lists key variables whose presence means the user wants one of
    ``providers``: with one set and none of them installed, ``aiwire chat``
    names the package instead of answering with the offline demo."""

    package: str
    providers: tuple[str, ...] = ()
    apis: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    plugin: str = ""


class CommandSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A subcommand a plugin adds to the ``aiwire`` command: ``target`` is a
    ``"module:function"`` path (imported only when the command runs) or the
    function; it takes the argument list and returns the exit status."""

    name: str
    target: Any
    help: str = ""
    plugin: str = ""


@final
class CodecContext:
    """What a codec factory receives: a way to reach other apis' codecs.

    A codec registered as a class (or function) whose first parameter is
    required is built with one of these, so that it can wrap or delegate to
    another api's codec without importing that plugin or aiwire's internals::

        class EnvelopeCodec(BaseCodec):
            api = "acme-envelope"

            def __init__(self, context: CodecContext) -> None:
                self._context = context

            @property
            def inner(self) -> Codec:
                return self._context.codec("acme-chat")  # loaded on first use

    ``codec(api)`` answers from the registry that is building this codec (the
    same object every time), loading the other plugin's codec module on first
    use; an api that nothing implements raises
    :class:`~aiwire.errors.UnknownApiError` naming both apis. ``api`` is the
    id being built and ``plugin`` the plugin that registered it. Tests build
    one from a mapping: ``CodecContext({"acme-chat": AcmeCodec()})``.
    """

    __slots__ = ("_lookup", "api", "plugin")

    def __init__(
        self,
        lookup: Callable[[str], Any] | Mapping[str, Any],
        *,
        api: str = "",
        plugin: str = "",
    ) -> None:
        self._lookup = lookup
        self.api = api
        self.plugin = plugin

    def codec(self, api: str) -> Codec:
        """The codec of ``api`` (a :class:`~aiwire.plugin.Codec`, or an
        :class:`~aiwire.plugin.ImageCodec` for image apis)."""
        lookup = self._lookup
        if isinstance(lookup, Mapping):
            if api not in lookup:
                from aiwire.errors import UnknownApiError

                raise UnknownApiError(
                    f"the {self.api or 'wrapping'!r} codec needs the api {api!r}, which is not available "
                    f"(available: {', '.join(sorted(lookup)) or 'none'})"
                )
            return lookup[api]  # type: ignore[no-any-return]
        return lookup(api)  # type: ignore[no-any-return]

    def has_api(self, api: str) -> bool:
        """Whether some installed plugin implements ``api`` (nothing is loaded)."""
        lookup = self._lookup
        if isinstance(lookup, Mapping):
            return api in lookup
        has = getattr(lookup, "has_api", None)
        return bool(has(api)) if has is not None else True

    def __repr__(self) -> str:
        return f"CodecContext(api={self.api!r}, plugin={self.plugin!r})"


class CodecFactory(Protocol):
    """A codec class or function that takes a :class:`CodecContext`."""

    def __call__(self, context: CodecContext, /) -> Codec | ImageCodec: ...


class RegisterApi(Protocol):
    """The ``register`` of :func:`register_apis <AiwireSpecs.register_apis>`.

    ``codec`` is preferably a ``"module:attr"`` path (imported on first use);
    it may also be a codec object, a class built with no argument, or a
    :class:`CodecFactory` built with a :class:`CodecContext`.
    """

    def __call__(self, api: str, codec: str | Codec | ImageCodec | CodecFactory | type[Any]) -> None: ...


class RegisterProvider(Protocol):
    """The ``register`` of ``register_providers``: one :class:`ProviderSpec` per call."""

    def __call__(self, spec: ProviderSpec, /) -> None: ...


class RegisterModels(Protocol):
    """The ``register`` of ``register_models``: models, a zero-argument
    callable returning them (run on first lookup), or ``"package"`` /
    ``"package:file.json"`` naming a catalog shipped as package data."""

    def __call__(self, models: Iterable[Model] | Callable[[], Iterable[Model]] | str, /) -> None: ...


class RegisterOAuth(Protocol):
    """The ``register`` of ``register_oauth_providers``: one :class:`OAuthSpec` per call."""

    def __call__(self, spec: OAuthSpec, /) -> None: ...


class RegisterInstallHint(Protocol):
    """The ``register`` of ``register_install_hints``: one :class:`InstallHint` per call."""

    def __call__(self, hint: InstallHint, /) -> None: ...


class RegisterCommand(Protocol):
    """The ``register`` of ``register_commands``: ``register("name",
    "module:function", "one line of help")``."""

    def __call__(self, name: str, target: str | Callable[[list[str]], int], help: str = "", /) -> None: ...


class AiwireSpecs:
    """The hook specifications (this class is only a namespace for pluggy)."""

    @hookspec
    def register_apis(self, register: RegisterApi) -> None:
        """Register wire protocols: ``register(api_id, codec)`` where codec is
        a ``"module:attr"`` path (preferred: imported lazily) or an object. A
        class or function whose first parameter is required is a
        :class:`CodecFactory`: it is called with a :class:`CodecContext`."""

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

    @hookspec
    def register_install_hints(self, register: RegisterInstallHint) -> None:
        """Say which package serves which providers, apis and key variables:
        ``register(InstallHint(package=..., providers=..., env=...))``."""

    @hookspec
    def register_commands(self, register: RegisterCommand) -> None:
        """Add ``aiwire`` subcommands: ``register(name, "module:function",
        help)``. The module is imported only when the command runs, so
        ``aiwire --help`` stays fast; the function takes the argument list
        and returns the exit status."""

    @hookspec(firstresult=True)
    def resolve_credentials(self, provider: ProviderSpec, model: Model) -> Credentials | None:
        """Return credentials for ``provider`` (an OAuth store, a keyring...),
        or ``None`` to let the next source answer. Explicit ``api_key`` wins
        over every hook; environment variables come after them. What happens when
        a request hook raises: ``docs/plugins.md``, "When a hook raises"."""

    @hookspec
    def prepare_request(self, model: Model, request: Request, call: RequestContext) -> Request | None:
        """Inspect or rewrite the outgoing request each time it is built
        (retries resend it, or rebuild it when ``Credentials.per_attempt`` is
        set; a refreshed login rebuilds it); return a
        replacement or ``None`` (in-place changes are kept). Implementations
        are chained in pluggy's order: each sees the request the previous one
        left. ``call`` has the credentials, options and attempt number; take
        only the arguments you need. Header names are case-insensitive
        (``request.headers`` is a :class:`~aiwire.plugin.Headers`)."""

    @hookspec
    def on_response(self, model: Model, response: ResponseInfo, call: RequestContext) -> None:
        """Observe the response status and headers, before the body is read.
        Observers never fail a call: a raising one is logged with its name."""

    @hookspec
    def on_message_end(self, model: Model, message: AssistantMessage, call: RequestContext) -> None:
        """Observe the final message of every call (usage, cost, tracing)."""

    @hookspec
    def on_images_end(self, model: Model, result: ImageResult, call: RequestContext) -> None:
        """Observe the result of every image generation (usage, cost, tracing)."""

    @hookspec
    def on_embeddings_end(self, model: Model, result: EmbeddingResult, call: RequestContext) -> None:
        """Observe the result of every embeddings request (one per batch of inputs)."""

    @hookspec
    def on_call_start(self, model: Model, call: RequestContext) -> None:
        """Observe the start of every call (stream, complete, image
        generation), once its request is built and before it is sent;
        ``call.call_id`` then names it in every later hook. Tracing starts a
        span here and ends it in ``on_message_end`` / ``on_images_end``."""

    @hookspec
    def on_agent_start(self, run: AgentRunContext) -> None:
        """Observe the start of an agent run; its turns' calls carry
        ``call.parent_id == run.run_id``."""

    @hookspec
    def on_agent_end(self, run: AgentRunContext, messages: list[Message]) -> None:
        """Observe the end of an agent run, with the messages it added."""

    @hookspec
    def on_tool_call_start(self, run: AgentRunContext, tool_call: ToolCall) -> None:
        """Observe an agent starting to execute ``tool_call``."""

    @hookspec
    def on_tool_call_end(self, run: AgentRunContext, tool_call: ToolCall, result: ToolResultMessage) -> None:
        """Observe the result of ``tool_call`` (``result.is_error`` says whether it failed)."""

    @hookspec
    def classify_error(self, message: AssistantMessage) -> str | None:
        """Say what kind of failure ``message`` is, for errors the built-in
        patterns miss: ``"context_overflow"``, ``"rate_limited"``, ``"auth"``
        or ``None``. Called only by :mod:`aiwire.classify`, never per event."""
