"""AWS credentials and SigV4 signing, both botocore's own.

``resolve`` runs once per call (the ``resolve_credentials`` hook): a Bedrock
API key from ``AWS_BEARER_TOKEN_BEDROCK`` is sent as a bearer token;
otherwise botocore's credential chain answers (environment, shared
credentials and config files, ``AWS_PROFILE``, SSO, web identity, container
and instance roles), and the credentials ask the core to rebuild the request
for every attempt, so that ``sign`` (the ``prepare_request`` hook) gives each
attempt a fresh timestamp, refreshing temporary credentials when due.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import msgspec

from aiwire.errors import MissingCredentialsError
from aiwire.plugin import Credentials, Request

from . import BASE_URL, BEARER_ENV, DEFAULT_REGION

if TYPE_CHECKING:
    from aiwire.types import Model

__all__ = ["region_url", "resolve", "sign"]

SERVICE = "bedrock"
_KEY_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
# What selects botocore's answer: a session is reused while these stay the same.
_CHAIN_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", *_KEY_ENV)
_SESSIONS: dict[tuple[str | None, ...], Any] = {}
_LOCK = threading.Lock()


def _session() -> Any:
    key = tuple(os.environ.get(v) for v in _CHAIN_ENV)
    with _LOCK:
        session = _SESSIONS.get(key)
        if session is None:
            import botocore.session

            session = botocore.session.Session()
            _SESSIONS.clear()  # one live configuration at a time
            _SESSIONS[key] = session
        return session


def _profile_name(session: Any) -> str:
    try:
        return str(session.profile or "default")
    except Exception:
        return os.environ.get("AWS_PROFILE") or "default"


def region_of(session: Any | None) -> str:
    """``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's region, else us-east-1."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        return region
    if session is not None:
        try:
            region = session.get_config_variable("region")
        except Exception:  # a broken config file: the signing step reports it
            region = None
    return region or DEFAULT_REGION


def region_url(model: Model, region: str) -> str | None:
    """The runtime endpoint of ``region``, unless the model points elsewhere
    (a VPC endpoint, a proxy, another partition): then ``None``."""
    if model.base_url.rstrip("/") != BASE_URL:
        return None
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://bedrock-runtime.{region}.{suffix}"


def _missing(profile: str, why: str = "") -> MissingCredentialsError:
    detail = f" ({why})" if why else ""
    return MissingCredentialsError(
        f"no AWS credentials for amazon-bedrock{detail}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
        f"(and AWS_SESSION_TOKEN for temporary keys), or a Bedrock API key in {BEARER_ENV}, or configure "
        f"profile {profile!r} (AWS_PROFILE picks another) with `aws configure`, or `aws sso login "
        f"--profile {profile}` for SSO; on EC2, ECS or Lambda attach a role that may call Bedrock"
    )


def resolve(model: Model) -> Credentials:
    """Credentials for one call (see the module docstring)."""
    token = os.environ.get(BEARER_ENV)
    if token:  # the codec puts AWS_REGION / AWS_DEFAULT_REGION in the URL
        return Credentials(token, source=f"${BEARER_ENV}")
    session = _session()
    profile = _profile_name(session)
    try:
        creds = session.get_credentials()
    except Exception as exc:  # ProfileNotFound, an expired SSO token, a bad config file...
        raise _missing(profile, _why(exc)) from None
    if creds is None:
        raise _missing(profile)
    region = region_of(session)
    return Credentials(
        kind="none",
        base_url=region_url(model, region),
        extra={"aws_credentials": creds, "aws_region": region},
        source=f"AWS credentials ({getattr(creds, 'method', 'botocore')}, profile {profile!r}, region {region})",
        per_attempt=True,
    )


def _why(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text


def body_bytes(request: Request) -> bytes:
    """The exact body that will be sent (the signature covers its hash)."""
    if request.content is None:
        request.content = b"" if request.json is None else msgspec.json.encode(request.json)
    return request.content


def _signed_header(name: str) -> bool:
    n = name.lower()
    return n in ("content-type", "accept") or (n.startswith(("x-amz-", "x-amzn-")) and n != "x-amz-security-token")


def sign(request: Request, aws: Any, region: str) -> None:
    """Add the SigV4 ``Authorization``, ``X-Amz-Date`` and (for temporary
    credentials) ``X-Amz-Security-Token`` headers, signed by botocore."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.exceptions import BotoCoreError

    body = body_bytes(request)
    headers = {k: v for k, v in request.headers.items() if _signed_header(k)}
    signed = AWSRequest(method=request.method, url=request.url, data=body, headers=headers)
    try:
        frozen = aws.get_frozen_credentials()  # refreshes temporary credentials when due
    except BotoCoreError as exc:
        raise _missing(os.environ.get("AWS_PROFILE") or "default", _why(exc)) from None
    SigV4Auth(frozen, SERVICE, region).add_auth(signed)
    for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
        value = signed.headers.get(name)
        if value is not None:
            request.headers[name] = value
