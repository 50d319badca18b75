"""HTTP clients: which transport, and the pools a :class:`~aiwire.Client` owns.

Three transports serve async calls:

- ``asyncio``: aiwire's own HTTP/1.1 on asyncio's connections
  (:mod:`aiwire._io.lean`), the default. It needs no import beyond asyncio,
  so a process's first request leaves early, and it hands a stream's bytes
  over in a few large reads (see docs/performance.md).
- ``aiohttp``: aiohttp's pool and C HTTP parser under the httpx API
  (:mod:`aiwire._io.fast`), when aiohttp is installed (``aiwire[aiohttp]``).
- ``httpx``: httpx's own (httpcore + h11). Blocking calls always use it;
  so do HTTP/2 (``httpx.AsyncHTTPTransport(http2=True)``), any httpx
  transport object and a user's own ``httpx.AsyncClient``.

Choose per call with ``transport="httpx"`` (or ``"aiohttp"``, ``"asyncio"``,
or an httpx transport object), per client with ``Client(transport=...)`` or
``Client(http_client=...)``, for the default client with
``aiwire.set_default_transport``, or with ``AIWIRE_TRANSPORT``. Nothing is
imported before the first call.

A :class:`Pool` keeps one sender per transport (per event loop for async
ones) and closes them all on ``close()``/``aclose()``. An async pool that is
never closed still closes its connections when its event loop shuts down
(``asyncio.run`` finalises async generators, and the pool parks one per loop
for that), so nothing is left for the garbage collector to warn about. Every
transport honours ``HTTP(S)_PROXY``/``NO_PROXY`` and ``SSL_CERT_FILE``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import weakref
from collections.abc import AsyncGenerator
from typing import Any

from aiwire._io.lean import LeanPool, proxy_settings
from aiwire._wire.codec import TRANSPORTS, TransportName
from aiwire.errors import BadOptionsError

__all__ = ["TRANSPORTS", "Pool", "check_transport", "default_transport"]

KEEPALIVE = 30.0


def check_transport(name: str, origin: str) -> TransportName:
    """``name`` if it is a transport aiwire knows and can load, else a clear error."""
    if name not in TRANSPORTS:
        raise BadOptionsError(f"{origin}={name!r} is not a transport aiwire knows; use one of {', '.join(TRANSPORTS)}")
    if name == "aiohttp" and not _has_aiohttp():
        raise BadOptionsError(
            f"{origin}='aiohttp' needs aiohttp, which is not installed: pip install 'aiwire[aiohttp]' "
            "(or leave the transport unset for aiwire's own)"
        )
    return name


def _has_aiohttp() -> bool:
    # Once imported (by the first call), a dict lookup; before, find_spec, not
    # import: importing aiohttp costs ~100 ms (it builds SSL contexts at import),
    # paid by the first call instead of by this check.
    if sys.modules.get("aiohttp") is not None:
        return True
    import importlib.util

    return importlib.util.find_spec("aiohttp") is not None


def default_transport() -> TransportName:
    """The transport async calls use when neither the call nor the client
    picks one: ``AIWIRE_TRANSPORT``, else aiwire's own (``asyncio``)."""
    env = os.environ.get("AIWIRE_TRANSPORT", "").strip().lower()
    if env:
        return check_transport(env, "AIWIRE_TRANSPORT")
    return "asyncio"


def _aiohttp_transport(limits: Any) -> Any:
    from aiwire._io.fast import AiohttpTransport

    # limit=0: no cap, like httpx's max_connections=None (aiohttp's own default
    # of 100 would queue the 101st concurrent stream). trust_env (HTTP(S)_PROXY,
    # NO_PROXY, and ~/.netrc) only when a proxy is set: aiohttp re-reads them on
    # every request, about 0.5 ms each.
    return AiohttpTransport(
        limit=limits.max_connections or 0,
        keepalive=limits.keepalive_expiry or KEEPALIVE,
        trust_env=any(k != "no" for k in proxy_settings()),
    )


async def _closer(clients: dict[Any, Any]) -> AsyncGenerator[None, None]:
    # Parked at its yield for the life of the loop: loop shutdown (asyncio.run,
    # asyncio.Runner) calls aclose() on it, which closes the loop's clients.
    try:
        yield
    finally:
        for client in list(clients.values()):
            await client.aclose()
        clients.clear()


class Pool:
    """The senders of one :class:`~aiwire.Client`, by transport: a
    :class:`~aiwire._io.lean.LeanPool`, or an httpx client in a
    :class:`~aiwire._io.httpxio.HttpxSender`.

    ``http_client``: a user's own ``httpx.Client`` or ``httpx.AsyncClient``,
    used as is for every call of its kind (its proxies, certificates, event
    hooks and limits apply) and never closed here: it is the user's.
    ``limits``: httpx's ``Limits`` for the httpx clients made here.
    """

    def __init__(self, transport: Any = None, *, http_client: Any = None, limits: Any = None) -> None:
        if transport is not None and isinstance(transport, str):
            check_transport(transport, "transport")
        self.transport = transport
        self._limits = limits
        self.user_async: Any = None
        self.user_sync: Any = None
        if http_client is not None:
            import httpx

            self.user_async = http_client if isinstance(http_client, httpx.AsyncClient) else None
            self.user_sync = http_client if isinstance(http_client, httpx.Client) else None
            if self.user_async is None and self.user_sync is None:
                raise BadOptionsError(
                    f"http_client must be an httpx.Client or httpx.AsyncClient, not {type(http_client).__name__}"
                )
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[dict[Any, Any], Any]]
        self._loops = weakref.WeakKeyDictionary()
        self._sync: dict[Any, Any] = {}
        self._lock = threading.Lock()
        self.closed = False

    def _key(self, transport: Any, *, sync: bool) -> Any:
        chosen = transport if transport is not None else self.transport
        if chosen is None:
            return "httpx" if sync else default_transport()
        if isinstance(chosen, str):
            name = check_transport(chosen, "transport")
            return "httpx" if sync else name
        return chosen

    @property
    def limits(self) -> Any:
        if self._limits is None:
            from aiwire._io.httpxio import LIMITS

            self._limits = LIMITS
        return self._limits

    async def async_client(self, transport: Any = None) -> Any:
        """The sender for ``transport`` (a name, an httpx transport object, or
        ``None`` for this pool's default) on the running loop: something with
        ``send_call(send)``, ``is_closed`` and ``aclose()``."""
        if self.closed:
            raise RuntimeError("this aiwire client is closed")
        if transport is None and self.user_async is not None:
            from aiwire._io.httpxio import HttpxSender

            return HttpxSender(self.user_async, owned=False)
        key = self._key(transport, sync=False)
        loop = asyncio.get_running_loop()
        entry = self._loops.get(loop)
        if entry is None:
            clients: dict[Any, Any] = {}
            closer = _closer(clients)
            await closer.__anext__()
            entry = self._loops[loop] = (clients, closer)
        clients = entry[0]
        client = clients.get(key)
        if client is None or client.is_closed:
            if key == "asyncio":
                new: Any = LeanPool(keepalive=KEEPALIVE)
            else:
                # Building an httpx client loads the CA bundle into an SSL context (20-100 ms
                # of CPU): done in a worker thread so the loop's other tasks never stall.
                new = await asyncio.to_thread(self._new_async_client, key)
            client = clients.get(key)
            if client is None or client.is_closed:
                client = clients[key] = new
            else:  # another task of this loop built one meanwhile
                await new.aclose()
        return client

    def _new_async_client(self, key: Any) -> Any:
        import httpx

        from aiwire._io.httpxio import HttpxSender

        if key == "aiohttp":
            tr: Any = _aiohttp_transport(self.limits)
        elif key == "httpx":
            tr = None
        else:
            tr = key
        return HttpxSender(httpx.AsyncClient(transport=tr, limits=self.limits, timeout=None, follow_redirects=True))

    def sync_client(self, transport: Any = None) -> Any:
        """The blocking client; transport names other than ``httpx`` use
        httpx's own transport (aiohttp has no blocking API)."""
        if self.closed:
            raise RuntimeError("this aiwire client is closed")
        if transport is None and self.user_sync is not None:
            return self.user_sync
        key = self._key(transport, sync=True)
        if not isinstance(key, str) and not callable(getattr(key, "handle_request", None)):
            raise BadOptionsError(
                f"transport {type(key).__name__} is async-only; blocking calls need an httpx.BaseTransport "
                "(or a transport name)"
            )
        import httpx

        with self._lock:
            client = self._sync.get(key)
            if client is None or client.is_closed:
                tr = None if key == "httpx" else key
                client = httpx.Client(transport=tr, limits=self.limits, timeout=None, follow_redirects=True)
                if tr is None:
                    from aiwire._io.sync import track_sockets

                    track_sockets(client)
                self._sync[key] = client
        return client

    def close(self) -> None:
        """Close the blocking clients (async ones close with :meth:`aclose`
        or when their loop shuts down)."""
        with self._lock:
            clients, self._sync = list(self._sync.values()), {}
        for client in clients:
            client.close()

    async def aclose(self) -> None:
        """Close every client of the running loop, and the blocking ones."""
        entry = self._loops.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[1].aclose()
        self.close()
