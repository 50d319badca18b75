"""Credentials from stored logins: the core's ``resolve_credentials`` source.

A provider is served by a login when its ``ProviderSpec.login`` names one, or
an ``OAuthSpec`` lists it in ``providers``. Access tokens are refreshed
``flow.refresh_skew`` seconds before they expire, under the store's
cross-process lock, after re-reading the store: when two processes find the
same expired token, one refreshes and the other uses its result.

A refresh that fails for now (the token endpoint answers 5xx or 429, or does
not answer) is retried a few times with backoff, then reported as
:class:`RefreshUnavailableError` ("try again later"); the login is kept. Only
a definitive refusal (``invalid_grant``...) is remembered in the store and
asks the user to log in again.
"""

from __future__ import annotations

import logging
import random
import time
from typing import TYPE_CHECKING

from aiwire.auth.errors import LoginError, LoginExpiredError, RefreshUnavailableError
from aiwire.auth.store import AuthStore, StoredLogin, default_store

if TYPE_CHECKING:
    from aiwire._plugins.hooks import OAuthSpec, ProviderSpec
    from aiwire._plugins.registry import Registry
    from aiwire._wire.codec import Credentials
    from aiwire.auth.oauth import OAuthFlow
    from aiwire.types import Model

__all__ = ["get_flow", "login_credentials", "login_for", "refresh_login", "stored_credentials"]

log = logging.getLogger("aiwire.auth")

REFRESH_ATTEMPTS = 3
"""Tries of a refresh that fails transiently (5xx, 429, no answer)."""
REFRESH_BACKOFF = 0.5
"""Seconds before the first retry; doubled for each later one (with jitter)."""
REFRESH_MAX_DELAY = 5.0
"""Cap on one wait, also on a server's ``Retry-After``."""
REFRESH_WINDOW = 20.0
"""No retry starts later than this many seconds after the first try (the
store lock is held meanwhile, and other processes wait on it)."""


def login_for(reg: Registry, provider: ProviderSpec) -> OAuthSpec | None:
    """The login flow that serves ``provider``, if any plugin registered one."""
    if provider.login and provider.login in reg.oauth:
        return reg.oauth[provider.login]
    for spec in reg.oauth.values():
        if provider.id in spec.providers:
            return spec
    return None


def get_flow(reg: Registry, spec: OAuthSpec) -> OAuthFlow:
    """The flow object of ``spec`` (imported and built on first use, kept by
    the registry that holds ``spec``)."""
    return reg.login_flow(spec.id)  # type: ignore[no-any-return]


def _expired_message(login_id: str, why: str) -> str:
    return f"your {login_id!r} login could not be refreshed ({why}); log in again with `aiwire login {login_id}`"


def refresh_login(store: AuthStore, login_id: str, flow: OAuthFlow, *, rejected: str | None = None) -> StoredLogin:
    """Refresh ``login_id`` unless another process already did; store the result.

    ``rejected`` is an access token the server refused (a 401): it is refreshed
    even if it has not expired yet, unless the store already holds another."""
    with store.lock():
        current = store.get(login_id)  # re-read: the lock holder before us may have refreshed
        if current is None:
            raise LoginExpiredError(f"you are no longer logged in to {login_id!r}; run `aiwire login {login_id}`")
        if current.invalid:
            raise LoginExpiredError(_expired_message(login_id, current.invalid))
        if not current.expires_within(flow.refresh_skew) and (rejected is None or current.access != rejected):
            return current
        log.info("refreshing the %s login", login_id)
        try:
            fresh = _refresh_with_retries(flow, current, login_id)
        except LoginError as exc:
            definitive = getattr(exc, "definitive", False)
            if definitive:
                # Remember the refusal so later calls fail at once instead of asking again.
                current.invalid = str(exc)
                logins = store.logins()
                logins[login_id] = current
                store.write_locked(logins)
            raise LoginExpiredError(_expired_message(login_id, str(exc))) from None
        fresh.created = current.created
        fresh.updated = time.time()
        logins = store.logins()
        logins[login_id] = fresh
        store.write_locked(logins)
        return fresh


def _transient(exc: BaseException) -> bool:
    return bool(getattr(exc, "transient", False))


def _refresh_with_retries(flow: OAuthFlow, login: StoredLogin, login_id: str) -> StoredLogin:
    """``flow.refresh(login)``, retried with backoff while it fails transiently."""
    started = time.monotonic()
    attempt = 0
    while True:
        try:
            return flow.refresh(login)
        except LoginError as exc:  # noqa: PERF203 - a retry loop; it runs a few times at most
            if not _transient(exc):
                raise
            attempt += 1
            asked = getattr(exc, "retry_after", None)
            delay = asked if asked is not None else REFRESH_BACKOFF * 2 ** (attempt - 1) * (0.5 + random.random() / 2)
            delay = min(delay, REFRESH_MAX_DELAY)
            if attempt >= REFRESH_ATTEMPTS or time.monotonic() - started + delay > REFRESH_WINDOW:
                raise RefreshUnavailableError(_unavailable_message(login_id, exc, attempt)) from None
            log.info("refreshing the %s login failed for now (%s); retrying in %.2fs", login_id, exc, delay)
            time.sleep(delay)


def _unavailable_message(login_id: str, exc: BaseException, attempts: int) -> str:
    status = getattr(exc, "status", 0)
    what = f"answered HTTP {status}" if status else "did not answer"
    tries = f" ({attempts} tries)" if attempts > 1 else ""
    return (
        f"your {login_id!r} login could not be refreshed right now: its token endpoint {what}{tries}: {exc}. "
        "The login is kept; this is usually temporary, so try again later"
    )


def stored_credentials(reg: Registry, provider: ProviderSpec, model: Model) -> Credentials | None:
    """Credentials from the stored login serving ``provider``, or ``None``."""
    spec = login_for(reg, provider)
    if spec is None:
        return None
    store = default_store()
    login = store.get(spec.id)
    if login is None:
        return None
    if login.invalid:
        raise LoginExpiredError(_expired_message(spec.id, login.invalid))
    flow = get_flow(reg, spec)
    if login.expires_within(flow.refresh_skew):
        login = refresh_login(store, spec.id, flow)
    return _credentials(store, spec, flow, login, provider, model)


def login_credentials(
    reg: Registry, provider: ProviderSpec, model: Model, store: AuthStore | None = None
) -> Credentials | None:
    """Like :func:`stored_credentials`, but a token due for refresh is not
    refreshed here: the credentials say ``stale`` and carry the refresher,
    which the driver runs (in a worker thread on the async path, so a slow
    token endpoint or a held store lock never blocks the event loop)."""
    spec = login_for(reg, provider)
    if spec is None:
        return None
    store = store or default_store()
    login = store.get(spec.id)
    if login is None:
        return None
    if login.invalid:
        raise LoginExpiredError(_expired_message(spec.id, login.invalid))
    flow = get_flow(reg, spec)
    creds = _credentials(store, spec, flow, login, provider, model)
    creds.stale = login.expires_within(flow.refresh_skew)
    return creds


def _credentials(
    store: AuthStore, spec: OAuthSpec, flow: OAuthFlow, login: StoredLogin, provider: ProviderSpec, model: Model
) -> Credentials:
    creds = flow.to_credentials(login, provider, model)
    if not creds.source:
        creds.source = f"aiwire login {spec.id}"
    used = login.access

    def refresher(force: bool) -> Credentials:
        fresh = refresh_login(store, spec.id, flow, rejected=used if force else None)
        return _credentials(store, spec, flow, fresh, provider, model)

    creds.refresher = refresher
    return creds
