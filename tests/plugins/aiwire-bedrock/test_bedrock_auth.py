"""Credentials and signing: botocore's chain and SigV4 signer, end to end
through aiwire's public API against an in-process transport, compared with
botocore's own signature of the same request; Bedrock API keys; the missing
credentials message; a fresh signature for every attempt."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from bedrock_helpers import boto3_client, event

import aiwire
from aiwire.errors import MissingCredentialsError
from aiwire.plugin import Request

pytestmark = pytest.mark.usefixtures("aws_env")

MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
NOW = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)
STREAM = (
    event("messageStart", {"role": "assistant"})
    + event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}})
    + event("contentBlockStop", {"contentBlockIndex": 0})
    + event("messageStop", {"stopReason": "end_turn"})
    + event("metadata", {"usage": {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4}, "metrics": {}})
)

WHOLE = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Hi"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4},
}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime.datetime]:
    """botocore's signing clock, fixed; each signature takes the next time."""
    times = [NOW, NOW + datetime.timedelta(seconds=30), NOW + datetime.timedelta(seconds=60)]
    import botocore.auth

    calls = iter(times)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: next(calls))
    return times


def keys(monkeypatch: pytest.MonkeyPatch, region: str = "eu-west-1", token: bool = True) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    if token:
        monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_REGION", region)


def run(statuses: list[int] | None = None, **options: Any) -> tuple[aiwire.AssistantMessage, list[httpx.Request]]:
    sent: list[httpx.Request] = []
    answers = list(statuses or [200])

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        status = answers.pop(0) if answers else 200
        if status != 200:
            return httpx.Response(status, headers={"retry-after": "0"}, json={"message": "Bedrock is busy"})
        if request.url.path.endswith("/converse-stream"):
            return httpx.Response(
                200, headers={"content-type": "application/vnd.amazon.eventstream"}, stream=httpx.ByteStream(STREAM)
            )
        return httpx.Response(200, json=WHOLE)

    model = aiwire.get_model("amazon-bedrock", MODEL)
    transport = httpx.MockTransport(handler)
    if options.pop("stream", False):
        events = list(aiwire.stream_sync(model, "Hello", transport=transport, **options))
        msg = events[-1].message
    else:
        msg = aiwire.complete_sync(model, "Hello", transport=transport, **options)
    return msg, sent


def botocore_signature(request: httpx.Request, at: datetime.datetime, region: str, token: str | None) -> str:
    """botocore's SigV4 of the same method, URL, body and content type."""
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    aws = AWSRequest(
        method=request.method,
        url=str(request.url),
        data=request.content,
        headers={"content-type": request.headers["content-type"]},
    )
    original = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: at
    try:
        botocore.auth.SigV4Auth(Credentials(KEY_ID, SECRET, token), "bedrock", region).add_auth(aws)
    finally:
        botocore.auth.get_current_datetime = original
    return str(aws.headers["Authorization"])


def test_a_signed_request_matches_botocores_signature(monkeypatch: pytest.MonkeyPatch, clock: Any) -> None:
    keys(monkeypatch)
    msg, sent = run()
    assert msg.stop_reason == "stop" and msg.text == "Hi"
    (request,) = sent
    assert str(request.url) == (
        "https://bedrock-runtime.eu-west-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse"
    )
    assert request.headers["x-amz-date"] == "20260304T050607Z"
    assert request.headers["x-amz-security-token"] == TOKEN
    assert request.headers["authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={KEY_ID}/20260304/eu-west-1/bedrock/aws4_request, "
    )
    assert request.headers["authorization"] == botocore_signature(request, NOW, "eu-west-1", TOKEN)


def test_our_signer_gives_boto3s_own_signature_for_its_request(monkeypatch: pytest.MonkeyPatch, clock: Any) -> None:
    """boto3 builds and signs a Converse request; our signer, given the same
    request (method, URL, body, the headers boto3 signed), signs it alike."""
    from botocore.credentials import Credentials

    from aiwire_bedrock._auth import sign

    sent: list[Any] = []
    client = boto3_client(
        200,
        b'{"output":{"message":{"role":"assistant","content":[]}},"stopReason":"end_turn"}',
        "application/json",
        sent,
    )
    client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "Hello"}]}])
    (theirs,) = sent
    signed = (
        theirs.headers["Authorization"].decode()
        if isinstance(theirs.headers["Authorization"], bytes)
        else theirs.headers["Authorization"]
    )
    names = signed.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
    headers = {n: theirs.headers[n] for n in names if n not in ("host", "x-amz-date")}
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in headers.items()}
    assert set(headers) <= {"content-type", "amz-sdk-invocation-id", "amz-sdk-request"}
    ours = Request(url=theirs.url, content=theirs.body, headers=headers)
    monkeypatch.setattr("aiwire_bedrock._auth._signed_header", lambda name: name.lower() in headers)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: NOW)
    sign(ours, Credentials(KEY_ID, SECRET), "us-east-1")
    assert ours.headers["Authorization"] == signed  # both signed at NOW


def test_boto3_and_aiwire_send_the_same_converse_request(monkeypatch: pytest.MonkeyPatch, clock: Any) -> None:
    keys(monkeypatch, region="us-east-1", token=False)
    sent: list[Any] = []
    client = boto3_client(200, b"{}", "application/json", sent)
    client.converse(
        modelId=MODEL,
        messages=[{"role": "user", "content": [{"text": "Hello"}]}],
        inferenceConfig={"maxTokens": 32000},
    )
    _, ours = run(cache_retention="none")
    assert str(ours[0].url) == sent[0].url
    assert json.loads(ours[0].content) == json.loads(sent[0].body)


def test_every_attempt_is_signed_again(monkeypatch: pytest.MonkeyPatch, clock: Any) -> None:
    keys(monkeypatch)
    msg, sent = run([503, 200], stream=True)
    assert msg.stop_reason == "stop"
    first, second = sent
    assert (first.headers["x-amz-date"], second.headers["x-amz-date"]) == ("20260304T050607Z", "20260304T050637Z")
    assert second.headers["authorization"] == botocore_signature(second, clock[1], "eu-west-1", TOKEN)
    assert first.content == second.content


def test_a_profile_from_the_shared_files_gives_keys_and_region(
    monkeypatch: pytest.MonkeyPatch, aws_env: Path, clock: Any
) -> None:
    (aws_env / "credentials").write_text(f"[work]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n")
    (aws_env / "config").write_text("[profile work]\nregion = ap-southeast-2\n")
    monkeypatch.setenv("AWS_PROFILE", "work")
    _, (request,) = run()
    assert request.url.host == "bedrock-runtime.ap-southeast-2.amazonaws.com"
    assert "x-amz-security-token" not in request.headers
    assert request.headers["authorization"] == botocore_signature(request, NOW, "ap-southeast-2", None)


def test_a_bedrock_api_key_is_a_bearer_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-123")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    _, (request,) = run()
    assert request.headers["authorization"] == "Bearer bedrock-api-key-123"
    assert "x-amz-date" not in request.headers
    assert request.url.host == "bedrock-runtime.us-west-2.amazonaws.com"
    _, (request,) = run(api_key="per-call-key")
    assert request.headers["authorization"] == "Bearer per-call-key"


def test_missing_credentials_name_the_variables_the_profile_and_the_fix() -> None:
    with pytest.raises(MissingCredentialsError) as caught:
        run()
    text = str(caught.value)
    for part in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_BEARER_TOKEN_BEDROCK",
        "profile 'default'",
        "AWS_PROFILE",
        "`aws configure`",
        "`aws sso login --profile default`",
    ):
        assert part in text


def test_an_unknown_profile_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nope")
    with pytest.raises(MissingCredentialsError, match=r"profile 'nope'.*aws sso login --profile nope"):
        run()


def test_secrets_stay_out_of_reprs_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    keys(monkeypatch)
    from aiwire_bedrock._auth import resolve

    creds = resolve(aiwire.get_model("amazon-bedrock", MODEL))
    assert SECRET not in repr(creds) and TOKEN not in repr(creds) and KEY_ID not in repr(creds)
    msg, _ = run([403, 403, 403])
    assert msg.stop_reason == "error" and msg.error_type == "AccessDeniedException"
    assert TOKEN not in str(msg.error_message) and SECRET not in str(msg.error_message)


def test_discovery_and_model_lookup_do_not_import_botocore() -> None:
    code = (
        "import sys, aiwire\n"
        "aiwire.plugins(); aiwire.get_model('amazon-bedrock', 'amazon.nova-micro-v1:0')\n"
        "assert 'botocore' not in sys.modules, 'botocore imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_session_token_is_masked_in_error_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy that echoes the request's headers cannot leak the session token."""
    keys(monkeypatch)

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"message": f"bad token {request.headers['x-amz-security-token']}"})

    model = aiwire.get_model("amazon-bedrock", MODEL)
    msg = aiwire.complete_sync(model, "Hello", transport=httpx.MockTransport(echo))
    assert msg.stop_reason == "error" and "bad token" in str(msg.error_message)
    assert TOKEN not in str(msg.error_message)
