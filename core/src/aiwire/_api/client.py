"""``aiwire.Client`` and ``aiwire.AsyncClient``: the state a program owns.

A client holds the plugin registry (discovered from entry points, or an
explicit list of plugins), its HTTP clients (a transport name or object, or
the user's own ``httpx.Client``/``httpx.AsyncClient``), the auth store,
per-provider base URLs and default options. Use it as a context manager, as
httpx's clients are used: leaving the block closes every connection it
opened. The module-level ``aiwire.stream()`` and friends use a default client
created on first use, as ``httpx.get`` does.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from aiwire._api.images import check_image_call, client_defaults, split_options
from aiwire._engine.call import PreparedCall, as_context, make_options, prepare
from aiwire._io.aio import AssistantStream, ImageJob, acomplete
from aiwire._io.transport import Pool, check_transport
from aiwire._plugins.registry import Registry, get_registry
from aiwire.errors import BadOptionsError
from aiwire.types import AssistantMessage, Context, EmbeddingResult, ImageResult, Model

if TYPE_CHECKING:
    from aiwire._io.sync import AbortHandle, SyncAssistantStream
    from aiwire.auth.store import AuthStore

__all__ = ["AsyncClient", "Client", "default_client", "set_default_transport"]

ContextLike = Context | str | Mapping[str, Any]
T = TypeVar("T")


def _registry(plugins: Iterable[Any] | None) -> Registry:
    if plugins is None:
        return get_registry()
    reg = Registry()
    reg.add_builtin()
    for plugin in plugins:
        name = str(getattr(plugin, "__name__", None) or type(plugin).__name__)
        reg._add(plugin, name)
    return reg


def _check_args(plugins: Any, base_urls: Any, options: Any) -> None:
    name = "aiwire client"
    if plugins is not None and (isinstance(plugins, (str, bytes)) or not isinstance(plugins, Iterable)):
        raise BadOptionsError(
            f"{name}: plugins must be a list of plugin modules or objects, not {type(plugins).__name__}"
        )
    if base_urls is not None and not (
        isinstance(base_urls, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in base_urls.items())
    ):
        raise BadOptionsError(
            f"{name}: base_urls must map provider ids to URLs ({{'openai': 'https://...'}}), "
            f"not {type(base_urls).__name__}"
        )
    if options is not None and not (isinstance(options, Mapping) and all(isinstance(k, str) for k in options)):
        raise BadOptionsError(
            f"{name}: options must be a dict of call options ({{'max_tokens': 500}}), not {type(options).__name__}"
        )


def _check_io(transport: Any, http_client: Any, *, sync: bool) -> None:
    """Refuse an httpx transport or client of the other kind (sync for an
    async call, or the reverse) before anything is sent, naming the fix."""
    httpx: Any = None
    if http_client is not None:
        import httpx
    if sync:
        if httpx is not None and isinstance(http_client, httpx.AsyncClient):
            raise BadOptionsError(
                "aiwire.Client (blocking) got an httpx.AsyncClient as http_client; pass an httpx.Client, "
                "or use aiwire.AsyncClient"
            )
        if hasattr(transport, "handle_async_request") and not hasattr(transport, "handle_request"):
            raise BadOptionsError(
                f"transport {type(transport).__name__} is async-only (an httpx.AsyncBaseTransport); blocking "
                "calls need an httpx.BaseTransport such as httpx.HTTPTransport(), or a transport name"
            )
    else:
        if httpx is not None and isinstance(http_client, httpx.Client):
            raise BadOptionsError(
                "aiwire.AsyncClient got a blocking httpx.Client as http_client; pass an httpx.AsyncClient, "
                "or use aiwire.Client"
            )
        if hasattr(transport, "handle_request") and not hasattr(transport, "handle_async_request"):
            raise BadOptionsError(
                f"transport {type(transport).__name__} is sync-only (an httpx.BaseTransport); async calls "
                "need an httpx.AsyncBaseTransport such as httpx.AsyncHTTPTransport(), or a transport name"
            )


class _BaseClient:
    def __init__(
        self,
        *,
        plugins: Iterable[Any] | None = None,
        http_client: Any = None,
        transport: Any = None,
        auth_store: AuthStore | None = None,
        base_urls: Mapping[str, str] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        _check_args(plugins, base_urls, options)
        self._registry = None if plugins is None and type(self) is _DefaultClient else _registry(plugins)
        if type(self) is not _DefaultClient:  # the default client serves both kinds of call
            _check_io(transport, http_client, sync=isinstance(self, Client))
        self._pool = Pool(transport, http_client=http_client)
        self.auth_store = auth_store
        self.base_urls = dict(base_urls or {})
        self.options = dict(options or {})
        if self.options:
            make_options(self.options)  # bad defaults raise here, not on the first call

    @property
    def registry(self) -> Registry:
        """The plugins this client sees (discovered once from entry points, or
        the explicit list it was made with)."""
        reg = self._registry
        return get_registry() if reg is None else reg

    # -- catalog -------------------------------------------------------------

    def get_model(self, provider_or_ref: str, model_id: str | None = None) -> Model:
        """A catalog model of this client's plugins (see :func:`aiwire.get_model`)."""
        from aiwire._api.models import get_model

        return self._with_base_url(get_model(provider_or_ref, model_id, registry=self.registry))

    def models(self, provider: str | None = None) -> list[Model]:
        found = [m for m in self.registry.models.values() if provider is None or m.provider == provider]
        return sorted(found, key=lambda m: (m.provider, m.id))

    def _with_base_url(self, model: Model) -> Model:
        url = self.base_urls.get(model.provider)
        return msgspec.structs.replace(model, base_url=url) if url else model

    def _model(self, model: Model | str) -> Model:
        if isinstance(model, str):
            return self.get_model(model)
        if isinstance(model, Model):
            return self._with_base_url(model)
        raise BadOptionsError(f"model must be an aiwire.Model or 'provider/model-id', not {type(model).__name__}")

    def _check_open(self) -> None:
        if self._pool.closed:
            raise RuntimeError(f"this aiwire.{type(self).__name__} is closed; create a new one to make more calls")

    def _prepare(self, model: Model | str, context: ContextLike, options: Mapping[str, Any], kind: Any) -> PreparedCall:
        self._check_open()
        opts = {**self.options, **options} if self.options else options
        _check_io(opts.get("transport"), None, sync=isinstance(self, Client))
        return prepare(self._model(model), context, opts, kind=kind, registry=self.registry, store=self.auth_store)

    def _prepare_images(self, model: Model | str, context: ContextLike, options: Mapping[str, Any]) -> PreparedCall:
        self._check_open()
        opts = {**client_defaults(self.options), **options} if self.options else options
        _check_io(opts.get("transport"), None, sync=isinstance(self, Client))
        core, image = split_options(opts)
        ctx = as_context(context)
        m = check_image_call(self.registry, self._model(model), ctx, image)
        return PreparedCall(
            self.registry, m, ctx, make_options(core), kind="images", image_options=image, store=self.auth_store
        )


class AsyncClient(_BaseClient):
    """The async client. ``async with aiwire.AsyncClient() as client:``.

    Keyword arguments: ``plugins`` (plugin modules or objects to use instead
    of the installed ones), ``http_client`` (your own ``httpx.AsyncClient``:
    its proxies, certificates, event hooks and limits apply; it stays yours to
    close), ``transport`` (``"httpx"``, ``"aiohttp"`` or an httpx transport),
    ``auth_store`` (an :class:`~aiwire.auth.AuthStore` for stored logins),
    ``base_urls`` (provider id to base URL) and ``options`` (defaults for
    every call, overridden per call).
    """

    def stream(self, model: Model | str, context: ContextLike, **options: Any) -> AssistantStream:
        """See :func:`aiwire.stream`."""
        return AssistantStream(self._prepare(model, context, options, "stream"), self._pool)

    async def complete(
        self, model: Model | str, context: ContextLike, *, check: bool = False, **options: Any
    ) -> AssistantMessage:
        """See :func:`aiwire.complete`."""
        msg = await acomplete(self._prepare(model, context, options, "complete"), self._pool)
        return msg.raise_for_error() if check else msg

    def generate_images(
        self, model: Model | str, context: ContextLike, *, check: bool = False, **options: Any
    ) -> ImageJob:
        """See :func:`aiwire.generate_images`."""
        return ImageJob(self._prepare_images(model, context, options), self._pool, check=check)

    async def embed(
        self, model: Model | str, inputs: str | Sequence[str], *, check: bool = True, **options: Any
    ) -> EmbeddingResult:
        """See :func:`aiwire.embed`."""
        from aiwire._api.embed import run_embed

        result = await run_embed(self, model, inputs, options)
        return result.raise_for_error() if check else result

    async def extract(
        self, model: Model | str, context: Any, type: Any, *, retries: int = 2, mode: str = "auto", **options: Any
    ) -> Any:
        """See :func:`aiwire.extract`."""
        from aiwire._api.extract import run_extract

        return await run_extract(self, model, context, type, retries, options, mode)  # type: ignore[arg-type]

    def extract_stream(
        self, model: Model | str, context: Any, type: Any, *, retries: int = 2, mode: str = "auto", **options: Any
    ) -> Any:
        """See :func:`aiwire.extract_stream`."""
        from aiwire._api.extract import ExtractStream

        return ExtractStream(self, model, context, type, retries, options, mode)  # type: ignore[arg-type]

    async def aclose(self) -> None:
        """Close every connection this client opened (not a user's http_client)."""
        await self._pool.aclose()
        if not isinstance(self, _DefaultClient):  # the module-level functions keep working
            self._pool.closed = True

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Client(_BaseClient):
    """The blocking client. ``with aiwire.Client() as client:``; the same
    arguments as :class:`AsyncClient`, with an ``httpx.Client``."""

    def stream(self, model: Model | str, context: ContextLike, **options: Any) -> SyncAssistantStream:
        """See :func:`aiwire.stream_sync`."""
        from aiwire._io.sync import SyncAssistantStream  # httpx: only blocking calls pay its import

        return SyncAssistantStream(self._prepare(model, context, options, "stream"), self._pool)

    def complete(
        self,
        model: Model | str,
        context: ContextLike,
        *,
        check: bool = False,
        abort: AbortHandle | None = None,
        **options: Any,
    ) -> AssistantMessage:
        """See :func:`aiwire.complete_sync`."""
        from aiwire._io.sync import scomplete

        msg = scomplete(self._prepare(model, context, options, "complete"), self._pool, abort)
        return msg.raise_for_error() if check else msg

    def generate_images(
        self, model: Model | str, context: ContextLike, *, check: bool = False, **options: Any
    ) -> ImageResult:
        """See :func:`aiwire.generate_images_sync`."""
        from aiwire._io.sync import sgenerate

        result = sgenerate(self._prepare_images(model, context, options), self._pool)
        return result.raise_for_error() if check else result

    def embed(
        self, model: Model | str, inputs: str | Sequence[str], *, check: bool = True, **options: Any
    ) -> EmbeddingResult:
        """See :func:`aiwire.embed_sync`."""
        from aiwire._api.embed import run_embed_sync

        result = run_embed_sync(self, model, inputs, options)
        return result.raise_for_error() if check else result

    def extract(
        self, model: Model | str, context: Any, type: Any, *, retries: int = 2, mode: str = "auto", **options: Any
    ) -> Any:
        """See :func:`aiwire.extract_sync`."""
        from aiwire._api.extract import run_extract_sync

        return run_extract_sync(self, model, context, type, retries, options, mode)  # type: ignore[arg-type]

    def extract_stream(
        self, model: Model | str, context: Any, type: Any, *, retries: int = 2, mode: str = "auto", **options: Any
    ) -> Any:
        """See :func:`aiwire.extract_stream_sync`."""
        from aiwire._api.extract import SyncExtractStream

        return SyncExtractStream(self, model, context, type, retries, options, mode)  # type: ignore[arg-type]

    def close(self) -> None:
        """Close every connection this client opened (not a user's http_client)."""
        self._pool.close()
        self._pool.closed = True

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _DefaultClient(AsyncClient):
    """The client behind the module-level functions. Its blocking twin
    (:attr:`blocking`) shares its state: one registry and one pool serve
    ``aiwire.stream`` and ``aiwire.stream_sync`` alike."""

    @property
    def blocking(self) -> Client:
        view: Client = Client.__new__(Client)
        view.__dict__ = self.__dict__  # the same registry, pool, store and defaults
        return view


_default: _DefaultClient | None = None
_default_lock = threading.Lock()


def default_client() -> _DefaultClient:
    """The client of the module-level functions, created on first use. Its
    registry is the discovered one (``aiwire.register_plugin`` adds to it)."""
    global _default
    client = _default
    if client is None:
        with _default_lock:
            if _default is None:
                _default = _DefaultClient()
            client = _default
    return client


def set_default_transport(name: str | None) -> None:
    """Use ``name`` (``"asyncio"``, ``"httpx"`` or ``"aiohttp"``) for every
    async call of the module-level functions that does not pick a transport.
    ``None`` goes back to ``AIWIRE_TRANSPORT`` (or aiwire's own, ``asyncio``,
    when unset). Raises
    :class:`~aiwire.errors.BadOptionsError` for an unknown name or when the
    transport is not installed."""
    default_client()._pool.transport = None if name is None else check_transport(name, "set_default_transport")


@atexit.register
def _close_default() -> None:
    if _default is not None:
        _default._pool.close()
