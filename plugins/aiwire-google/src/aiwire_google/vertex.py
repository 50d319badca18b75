"""Vertex AI with Google credentials: Application Default Credentials and
service accounts, through google-auth (the ``vertex`` extra, imported only
when a Vertex AI call needs it).

The ``resolve_credentials`` hook of this plugin calls :func:`vertex_credentials`
for the ``google-vertex`` and ``google-vertex-anthropic`` providers when no
express-mode key (``GOOGLE_CLOUD_API_KEY``) is set. It finds credentials the
way Google's own libraries do (``google.auth.default()``:
``GOOGLE_APPLICATION_CREDENTIALS``, the gcloud ADC file, the metadata server),
takes the project and location from the model's ``compat`` (``project``,
``location``), else ``GOOGLE_CLOUD_PROJECT`` / ``GOOGLE_CLOUD_LOCATION``, else
the credentials' own project and ``global``, and points the call at the
project endpoint. Tokens are fetched and refreshed by the core's auth flow
(``Credentials.refresher``, run off the event loop), never during setup, and
one token is shared by every call of the process until it is due.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from datetime import timezone
from typing import Any

from aiwire.errors import MissingCredentialsError
from aiwire.plugin import Credentials, ProviderSpec
from aiwire.types import Model

__all__ = ["SCOPES", "missing_message", "vertex_base_url", "vertex_credentials"]

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
EXPRESS_KEY = "GOOGLE_CLOUD_API_KEY"
PROJECT_VARS = ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT")
LOCATION_VARS = ("GOOGLE_CLOUD_LOCATION", "GOOGLE_CLOUD_REGION", "CLOUDSDK_COMPUTE_REGION")
_REFRESH_SKEW = 300  # seconds before expiry at which a token is refreshed
_PUBLISHERS = {"google-vertex": "google", "google-vertex-anthropic": "anthropic"}


def missing_message(provider: str, why: str = "") -> str:
    detail = f" ({why})" if why else ""
    return (
        f"no Google credentials for provider {provider!r}{detail}: set GOOGLE_APPLICATION_CREDENTIALS to a "
        "service-account key file, or run `gcloud auth application-default login`, and set GOOGLE_CLOUD_PROJECT "
        f"(and GOOGLE_CLOUD_LOCATION, default global); or set {EXPRESS_KEY} for Vertex AI express mode"
    )


def vertex_base_url(project: str, location: str, publisher: str = "google") -> str:
    """The project endpoint of a publisher's models (``global`` has no region prefix)."""
    host = "aiplatform.googleapis.com" if location == "global" else f"{location}-aiplatform.googleapis.com"
    return f"https://{host}/v1/projects/{project}/locations/{location}/publishers/{publisher}"


def _first(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


TOKEN_TRANSPORT: Any = None
"""An httpx transport for the token requests (``None``: the network). Tests
point it at a local token endpoint, since gcloud's ADC file always names
Google's."""


class _HttpxRequest:
    """google-auth's transport interface on httpx (so google-auth needs no
    ``requests``). Used only inside the refresher, which the drivers run off
    the event loop."""

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        import httpx
        from google.auth import exceptions

        req = httpx.Request(method, url, content=body, headers=dict(headers or {}))
        try:
            if TOKEN_TRANSPORT is not None:
                resp = TOKEN_TRANSPORT.handle_request(req)
                resp.read()
            else:
                with httpx.Client(timeout=timeout or 60) as client:
                    resp = client.send(req)
        except httpx.HTTPError as exc:
            raise exceptions.TransportError(f"{type(exc).__name__}: {exc}") from exc  # type: ignore[no-untyped-call]
        return _Response(resp.status_code, dict(resp.headers), resp.content)


class _Response:
    def __init__(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.status = status
        self.headers = headers
        self.data = data


class _Source:
    """One google-auth credentials object, shared and refreshed under a lock."""

    def __init__(self, creds: Any, project: str | None, origin: str) -> None:
        self.creds = creds
        self.project = project
        self.origin = origin
        self.lock = threading.Lock()

    def fresh(self) -> bool:
        token, expiry = getattr(self.creds, "token", None), getattr(self.creds, "expiry", None)
        if not token:
            return False
        if expiry is None:
            return True
        # google-auth keeps expiry as a naive UTC datetime
        left: float = expiry.replace(tzinfo=timezone.utc).timestamp() - time.time()
        return left > _REFRESH_SKEW

    def token(self, force: bool, rejected: str | None) -> str:
        with self.lock:
            if (force and self.creds.token == rejected) or not self.fresh():
                from google.auth import exceptions

                try:
                    self.creds.refresh(_HttpxRequest())
                except exceptions.GoogleAuthError as exc:
                    raise MissingCredentialsError(
                        f"Google sign-in failed ({self.origin}): {exc}; check the key file or run "
                        "`gcloud auth application-default login` again"
                    ) from None
            token: str = self.creds.token
            return token


_sources: dict[tuple[str, ...], _Source] = {}
_sources_lock = threading.Lock()


def _source(key_file: str | None) -> _Source:
    cache_key = (key_file or "", *SCOPES)
    with _sources_lock:
        found = _sources.get(cache_key)
        if found is not None:
            return found
        try:
            import google.auth
            from google.auth import exceptions
        except ImportError:
            raise MissingCredentialsError(
                missing_message("google-vertex", "google-auth is not installed: pip install 'aiwire-google[vertex]'")
            ) from None
        try:
            creds, project = google.auth.default(scopes=list(SCOPES))
        except exceptions.DefaultCredentialsError as exc:
            raise MissingCredentialsError(
                missing_message("google-vertex", str(exc).strip().rstrip(".")[:300])
            ) from None
        origin = f"service account {getattr(creds, 'service_account_email', '')}".strip()
        if not getattr(creds, "service_account_email", None):
            origin = "Application Default Credentials"
        src = _sources[cache_key] = _Source(creds, project, origin)
        return src


def reset() -> None:
    """Forget the cached credentials (tests; a changed key file)."""
    with _sources_lock:
        _sources.clear()


def vertex_credentials(provider: ProviderSpec, model: Model) -> Credentials | None:
    """Credentials and the project endpoint for a Vertex AI call, or ``None``
    to let the express-mode key (``GOOGLE_CLOUD_API_KEY``) answer."""
    publisher = _PUBLISHERS.get(provider.id)
    if publisher is None:
        return None
    if os.environ.get(EXPRESS_KEY) and publisher == "google":
        return None
    src = _source(os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"))
    project = model.compat.get("project") or _first(PROJECT_VARS) or src.project
    if not project:
        raise MissingCredentialsError(missing_message(provider.id, "no project: set GOOGLE_CLOUD_PROJECT"))
    location = model.compat.get("location") or _first(LOCATION_VARS) or "global"
    base_url = None
    if model.base_url.rstrip("/") == provider.base_url.rstrip("/"):  # the default endpoint: make it the project's
        base_url = vertex_base_url(str(project), str(location), publisher)
    source = f"Google {src.origin} (project {project})"

    def make(token: str | None) -> Credentials:
        creds = Credentials(
            token, kind="oauth", base_url=base_url, source=source, refresher=refresher, stale=token is None
        )
        return creds

    def refresher(force: bool) -> Credentials:
        current[0] = src.token(force, rejected=current[0])
        return make(current[0])

    current: list[str | None] = [src.creds.token if src.fresh() else None]
    return make(current[0])
