"""HTTP client construction and the choice of transport.

Two transports sit behind the same httpx API:

- ``httpx``: httpx's own (httpcore + h11). The default.
- ``aiohttp``: the ``httpx-aiohttp`` transport (aiohttp's C HTTP parser),
  installed with ``pip install aiwire[fast]``. It hands a stream's bytes over
  in a few large reads instead of one Python-level chunk per HTTP chunk, which
  cuts the client's CPU per event several times (see docs/performance.md). It
  is async only; blocking calls always use httpx's own transport.

Choose per call with ``transport="aiohttp"`` (or ``"httpx"``, or any httpx
transport object), for the process with :func:`set_default_transport`, or with
the environment variable ``AIWIRE_TRANSPORT``. Clients are pooled: per event
loop and transport for async, per transport for sync.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from typing import Any, Literal

import httpx

from aiwire.errors import BadOptionsError

__all__ = [
    "TRANSPORTS",
    "aclose_clients",
    "async_client",
    "default_transport",
    "set_default_transport",
    "sync_client",
]

TransportName = Literal["httpx", "aiohttp"]
TRANSPORTS: tuple[TransportName, ...] = ("httpx", "aiohttp")

_default: TransportName | None = None
_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, httpx.AsyncClient]] = (
    weakref.WeakKeyDictionary()
)
_sync_clients: dict[Any, httpx.Client] = {}
_sync_lock = threading.Lock()


def _check(name: str, origin: str) -> TransportName:
    if name not in TRANSPORTS:
        raise BadOptionsError(f"{origin}={name!r} is not a transport aiwire knows; use one of {', '.join(TRANSPORTS)}")
    if name == "aiohttp":
        try:
            import httpx_aiohttp  # noqa: F401
        except ImportError:
            raise BadOptionsError(
                f"{origin}='aiohttp' needs the fast transport: pip install 'aiwire[fast]' (httpx-aiohttp)"
            ) from None
    return name


def set_default_transport(name: TransportName | None) -> None:
    """Use ``name`` for every async call that does not pick a transport.

    ``None`` goes back to ``AIWIRE_TRANSPORT`` (or httpx's own when unset).
    Raises :class:`~aiwire.errors.BadOptionsError` for an unknown name or when
    the transport is not installed.
    """
    global _default
    _default = None if name is None else _check(name, "set_default_transport")


def default_transport() -> TransportName:
    """The transport async calls use when they do not pick one."""
    if _default is not None:
        return _default
    env = os.environ.get("AIWIRE_TRANSPORT", "").strip().lower()
    return _check(env, "AIWIRE_TRANSPORT") if env else "httpx"


def _aiohttp_transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    ssl_context = httpx.create_ssl_context()

    def session() -> aiohttp.ClientSession:
        # limit=0: no cap, like httpx's max_connections=None (aiohttp's own
        # default of 100 would queue the 101st concurrent stream).
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,
            keepalive_timeout=limits.keepalive_expiry or 30.0,
            ssl=ssl_context,
        )
        return aiohttp.ClientSession(connector=connector)

    transport: httpx.AsyncBaseTransport = AiohttpTransport(verify=ssl_context, client=session)
    return transport


def async_client(transport: Any, limits: httpx.Limits) -> httpx.AsyncClient:
    """The pooled async client for ``transport`` on the running loop.

    ``transport`` is ``None`` (the default transport), a transport name, or an
    httpx transport object used as is.
    """
    name = default_transport() if transport is None else transport
    if isinstance(name, str):
        key: Any = _check(name, "transport")
    else:
        key = id(transport)
    per_loop = _async_clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(key)
    if client is None or client.is_closed:
        if key == "aiohttp":
            transport = _aiohttp_transport(limits)
        elif key == "httpx":
            transport = None
        client = httpx.AsyncClient(transport=transport, limits=limits, timeout=None, follow_redirects=True)
        per_loop[key] = client
    return client


def sync_client(transport: Any, limits: httpx.Limits) -> httpx.Client:
    """The pooled blocking client; transport names other than ``httpx`` are
    accepted and use httpx's own transport (aiohttp has no blocking API)."""
    if isinstance(transport, str):
        _check(transport, "transport")
        transport = None
    key = id(transport)
    with _sync_lock:
        client = _sync_clients.get(key)
        if client is None or client.is_closed:
            client = httpx.Client(transport=transport, limits=limits, timeout=None, follow_redirects=True)
            _sync_clients[key] = client
    return client


async def aclose_clients() -> None:
    """Close the pooled async clients of the running loop (call it before the
    loop ends to release connections deterministically)."""
    per_loop = _async_clients.pop(asyncio.get_running_loop(), {})
    for client in per_loop.values():
        await client.aclose()
