"""PKCE (RFC 7636, S256) and ``state`` values: fresh for every login."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["check_state", "new_pkce", "new_state"]


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def new_pkce() -> tuple[str, str]:
    """A new ``(verifier, challenge)`` pair: 32 random bytes, S256 challenge."""
    verifier = _b64url(secrets.token_bytes(32))
    challenge = _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
    return verifier, challenge


def new_state() -> str:
    """An unguessable ``state`` for one authorization request."""
    return secrets.token_urlsafe(24)


def check_state(expected: str, got: str | None) -> bool:
    """Compare in constant time; a missing state never matches."""
    return got is not None and hmac.compare_digest(expected.encode(), got.encode())
