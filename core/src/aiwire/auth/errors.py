"""Errors of logins and the auth store.

    AiwireError
    ├── ConfigError
    │   ├── InsecureStoreError      the auth store's permissions were opened up
    │   ├── RefreshUnavailableError the token endpoint failed for now (5xx, 429, unreachable)
    │   └── MissingCredentialsError
    │       └── LoginExpiredError   a stored login could not be refreshed
    └── LoginError                  a login flow did not complete
        ├── LoginCancelled
        ├── LoginDenied             the user (or server) refused consent
        └── StateMismatchError      the callback's ``state`` is not ours

Messages never contain tokens, codes or verifiers.
"""

from __future__ import annotations

from aiwire.errors import AiwireError, ConfigError, MissingCredentialsError

__all__ = [
    "InsecureStoreError",
    "LoginCancelled",
    "LoginDenied",
    "LoginError",
    "LoginExpiredError",
    "RefreshUnavailableError",
    "StateMismatchError",
]


class LoginError(AiwireError):
    """A login flow did not complete."""


class LoginCancelled(LoginError):
    """The login was cancelled through its callbacks."""


class LoginDenied(LoginError):
    """Consent was refused (``access_denied``) or the grant was rejected."""


class StateMismatchError(LoginError):
    """The authorization response carries a ``state`` this login did not send."""


class InsecureStoreError(ConfigError):
    """The auth store (or its folder) is readable by other users."""


class LoginExpiredError(MissingCredentialsError):
    """A stored login could not be refreshed; ``aiwire login`` fixes it."""


class RefreshUnavailableError(ConfigError):
    """A stored login could not be refreshed because the token endpoint failed
    for now (HTTP 5xx or 429, or no answer), after a few retries. The login is
    kept; trying again later is the fix, not ``aiwire login``."""
