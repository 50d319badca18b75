"""The OAuth provider interface and the callbacks a login UI implements.

A login flow (shipped by a plugin, registered with ``register_oauth_providers``)
is an :class:`OAuthFlow`: ``login(callbacks)`` runs the interactive part and
returns a :class:`~aiwire.auth.store.StoredLogin`; ``refresh(login)`` renews
it; ``to_credentials(login, provider, model)`` turns it into what a request
needs (bearer token, extra headers, base URL, account or project ids).

:class:`LoginCallbacks` is what any UI drives: a terminal (``aiwire login``),
a TUI or a web page. All methods are called from the thread running
``login``, except :meth:`LoginCallbacks.manual_code`, which runs in a worker
thread while a local callback server waits.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from aiwire.auth.errors import LoginCancelled

if TYPE_CHECKING:
    from aiwire._plugins.hooks import ProviderSpec
    from aiwire._wire.codec import Credentials
    from aiwire.auth.store import StoredLogin
    from aiwire.types import Model

__all__ = ["DeviceCode", "LoginCallbacks", "OAuthFlow", "env_override"]


class DeviceCode(msgspec.Struct, kw_only=True):
    """What a device-code login shows (RFC 8628 §3.2). ``device_code`` is
    secret and never shown; ``expires_in`` and ``interval`` are seconds."""

    user_code: str
    verification_uri: str
    expires_in: float
    interval: float = 5.0
    verification_uri_complete: str | None = None
    device_code: str = ""

    def __repr__(self) -> str:
        return f"DeviceCode(user_code={self.user_code!r}, verification_uri={self.verification_uri!r})"


class LoginCallbacks:
    """Base class of login UIs. Override what your UI shows.

    ``cancel()`` (from any thread) stops the login at its next wait with
    :class:`~aiwire.auth.errors.LoginCancelled`.
    """

    def __init__(self) -> None:
        self.cancelled = threading.Event()

    def show_url(self, url: str, instructions: str = "") -> None:
        """Ask the user to open ``url`` (a browser login)."""
        raise NotImplementedError

    def show_device_code(self, code: DeviceCode) -> None:
        """Show ``code.user_code`` and where to enter it, and when it expires."""
        raise NotImplementedError

    def prompt(self, message: str, *, placeholder: str = "", secret: bool = False, allow_empty: bool = False) -> str:
        """Ask for a value (a pasted code, an enterprise domain...)."""
        raise NotImplementedError

    def progress(self, message: str) -> None:
        """Report a step; the default ignores it."""

    def manual_code(self, message: str) -> str | None:
        """Offer to paste the redirect URL (or the code) while the local
        callback server waits; runs in a worker thread and the first answer
        wins. Return ``None`` to rely on the callback only (the default)."""
        return None

    def cancel(self) -> None:
        """Cancel the login: waits and polls end with :class:`LoginCancelled` (thread-safe)."""
        self.cancelled.set()

    def check(self) -> None:
        """Raise :class:`LoginCancelled` if the login was cancelled."""
        if self.cancelled.is_set():
            raise LoginCancelled("the login was cancelled")

    def sleep(self, seconds: float) -> None:
        """Wait (between device-code polls), waking up early on cancel."""
        if self.cancelled.wait(seconds):
            raise LoginCancelled("the login was cancelled")


def env_override(flow_id: str, name: str, default: str) -> str:
    """``$AIWIRE_OAUTH_<FLOW>_<NAME>`` if set, else ``default``.

    ``env_override("github-copilot", "token_url", ...)`` reads
    ``AIWIRE_OAUTH_GITHUB_COPILOT_TOKEN_URL``. Flows use it for every
    endpoint, so a test (or a proxy) can point a login elsewhere.
    """
    key = f"AIWIRE_OAUTH_{flow_id}_{name}".upper().replace("-", "_")
    return os.environ.get(key) or default


class OAuthFlow:
    """Base of login flows. Subclasses set ``id``, ``name``, ``endpoints``
    (defaults, each overridable by :func:`env_override` or the constructor)
    and implement :meth:`login`, :meth:`refresh` and :meth:`to_credentials`.
    """

    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    endpoints: ClassVar[Mapping[str, str]] = {}
    refresh_skew: ClassVar[float] = 300.0
    """Refresh this many seconds before the access token expires."""

    def __init__(self, **overrides: str) -> None:
        unknown = set(overrides) - set(self.endpoints)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no endpoint(s) {', '.join(sorted(unknown))}")
        self._overrides = dict(overrides)

    def endpoint(self, name: str) -> str:
        """The endpoint ``name``: constructor override > environment > default."""
        if name in self._overrides:
            return self._overrides[name]
        return env_override(self.id, name, self.endpoints[name])

    def login(self, callbacks: LoginCallbacks) -> StoredLogin:
        """Run the interactive sign-in through ``callbacks``; return what the store keeps."""
        raise NotImplementedError

    def refresh(self, login: StoredLogin) -> StoredLogin:
        """Exchange the refresh token for a fresh login; raise ``LoginExpiredError`` when the user must sign in again."""
        raise NotImplementedError

    def to_credentials(self, login: StoredLogin, provider: ProviderSpec, model: Model) -> Credentials:
        """The credentials (token, headers, base URL) a call to ``provider``'s ``model`` uses."""
        raise NotImplementedError

    def describe(self, login: StoredLogin) -> dict[str, Any]:
        """Non-secret facts for ``aiwire auth status`` (account, domain...)."""
        return {}
