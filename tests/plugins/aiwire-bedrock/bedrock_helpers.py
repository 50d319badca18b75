"""Helpers for the aiwire-bedrock tests: the conformance recordings, boto3's
own view of them, and an AWS environment that never reaches a real account."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

import aiwire

ROOT = Path(__file__).resolve().parents[3]
CONFORMANCE = ROOT.parent / "shared" / "conformance"
CONVERSE = CONFORMANCE / "bedrock-converse"
_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No AWS variables, empty config files in ``tmp_path``, no instance
    metadata lookups: botocore's chain sees only what a test puts there."""
    for var in _ENV:
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "config").write_text("")
    (tmp_path / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    from aiwire_bedrock import _auth

    _auth._SESSIONS.clear()
    yield tmp_path
    _auth._SESSIONS.clear()


def recordings(*, streaming: bool | None = None, ok: bool | None = None) -> list[Path]:
    if not CONVERSE.is_dir():
        return []
    out = []
    for path in sorted(CONVERSE.glob("*.json")):
        data = load(path)
        if streaming is not None and data["streaming"] != streaming:
            continue
        if ok is not None and (data["response"]["status"] < 400) != ok:
            continue
        out.append(path)
    return out


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def body_of(recording: dict[str, Any]) -> bytes:
    response = recording["response"]
    if response.get("body_base64") is not None:
        return base64.b64decode(response["body_base64"])
    return str(response["body_text"] or "").encode()


def model_id(recording: dict[str, Any]) -> str:
    return unquote(recording["request"]["url"].split("/model/", 1)[1].rsplit("/", 1)[0])


def model_for(recording: dict[str, Any]) -> aiwire.Model:
    """The catalog's model when it has this id (so cost is real), else a custom one."""
    mid = model_id(recording)
    try:
        return aiwire.get_model("amazon-bedrock", mid)
    except Exception:
        return aiwire.custom_model(mid, provider="amazon-bedrock", reasoning=True)


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One AWS event-stream frame with string headers."""
    block = b"".join(
        bytes([len(k)]) + k.encode() + b"\x07" + struct.pack(">H", len(v.encode())) + v.encode()
        for k, v in headers.items()
    )
    prelude = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    head = prelude + struct.pack(">I", zlib.crc32(prelude)) + block + payload
    return head + struct.pack(">I", zlib.crc32(head))


def event(name: str, payload: dict[str, Any]) -> bytes:
    return frame(
        {":event-type": name, ":content-type": "application/json", ":message-type": "event"},
        json.dumps(payload).encode(),
    )


def exception(kind: str, message: str) -> bytes:
    return frame(
        {":exception-type": kind, ":content-type": "application/json", ":message-type": "exception"},
        json.dumps({"message": message}).encode(),
    )


class _Raw:
    """What botocore reads a response body from."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        for i in range(0, len(self.body), 1000):
            yield self.body[i : i + 1000]

    def read(self, *_: Any) -> bytes:
        body, self.body = self.body, b""
        return body

    def close(self) -> None:
        pass


def boto3_client(status: int, body: bytes, content_type: str, sent: list[Any] | None = None) -> Any:
    """A bedrock-runtime client whose HTTP layer answers with ``body``;
    the requests it would send are appended to ``sent``."""
    import boto3
    from botocore.awsrequest import AWSResponse

    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    )

    def answer(request: Any, **_: Any) -> AWSResponse:
        if sent is not None:
            sent.append(request)
        return AWSResponse(request.url, status, {"content-type": content_type}, _Raw(body))

    client.meta.events.register("before-send.bedrock-runtime.*", answer)
    return client
