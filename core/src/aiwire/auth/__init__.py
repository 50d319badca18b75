"""Subscription logins: the auth store, the OAuth flow interface, PKCE, the
loopback callback server and the standard grants.

Plugins implement :class:`OAuthFlow` and register it with
``register_oauth_providers``; users run ``aiwire login <id>``. See
``docs/logins.md``.
"""

from __future__ import annotations

from aiwire.auth.errors import (
    InsecureStoreError,
    LoginCancelled,
    LoginDenied,
    LoginError,
    LoginExpiredError,
    RefreshUnavailableError,
    StateMismatchError,
)
from aiwire.auth.oauth import DeviceCode, LoginCallbacks, OAuthFlow, env_override
from aiwire.auth.store import AuthStore, StoredLogin, auth_home, default_store

__all__ = [
    "AuthStore",
    "DeviceCode",
    "InsecureStoreError",
    "LoginCallbacks",
    "LoginCancelled",
    "LoginDenied",
    "LoginError",
    "LoginExpiredError",
    "OAuthFlow",
    "RefreshUnavailableError",
    "StateMismatchError",
    "StoredLogin",
    "auth_home",
    "default_store",
    "env_override",
]
