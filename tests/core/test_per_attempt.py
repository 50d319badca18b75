"""``Credentials.per_attempt``: the request is rebuilt, and the
``prepare_request`` hooks run again, for every attempt (a timestamped
signature is never resent stale); without it, retries resend the request."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

import aiwire
from aiwire._demo.builtin import DEMO_MODEL, _demo_transport
from aiwire.plugin import Credentials, ProviderSpec, hookimpl

MODEL = aiwire.Model(id="signed-1", provider="signed-demo", api="faux", base_url=DEMO_MODEL.base_url)


class Signer:
    AIWIRE_PLUGIN_API = 2

    def __init__(self) -> None:
        self.per_attempt = True
        self.attempts: list[int] = []

    @hookimpl
    def register_providers(self, register):  # type: ignore[no-untyped-def]
        register(ProviderSpec(id="signed-demo", api="faux", base_url=DEMO_MODEL.base_url))

    @hookimpl
    def resolve_credentials(self, provider, model):  # type: ignore[no-untyped-def]
        if provider.id == "signed-demo":
            return Credentials(kind="none", source="signer", per_attempt=self.per_attempt)
        return None

    @hookimpl(trylast=True)
    def prepare_request(self, model, request, call):  # type: ignore[no-untyped-def]
        if model.provider == "signed-demo":
            self.attempts.append(call.attempt)
            request.headers["x-signature"] = f"attempt-{call.attempt}"


@pytest.fixture
def signer() -> Iterator[Signer]:
    plugin = Signer()
    aiwire.register_plugin(plugin, "signer")
    try:
        yield plugin
    finally:
        aiwire.unregister_plugin("signer")


def transport(seen: list[str]) -> httpx.MockTransport:
    demo = _demo_transport()

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["x-signature"])
        if len(seen) < 3:
            return httpx.Response(503, headers={"retry-after": "0"}, json={"error": {"message": "busy"}})
        return demo.handle_request(request)

    return httpx.MockTransport(handle)


@pytest.mark.parametrize("stream", [True, False])
def test_every_attempt_is_built_and_signed_again(signer: Signer, stream: bool) -> None:
    seen: list[str] = []
    if stream:
        msg = aiwire.stream_sync(MODEL, "hi", transport=transport(seen)).result()
    else:
        msg = aiwire.complete_sync(MODEL, "hi", transport=transport(seen))
    assert msg.stop_reason == "stop"
    assert seen == ["attempt-0", "attempt-1", "attempt-2"] and signer.attempts == [0, 1, 2]


def test_without_per_attempt_retries_resend_the_request(signer: Signer) -> None:
    signer.per_attempt = False
    seen: list[str] = []
    assert aiwire.complete_sync(MODEL, "hi", transport=transport(seen)).stop_reason == "stop"
    assert seen == ["attempt-0"] * 3 and signer.attempts == [0]


class ExpiringSigner(Signer):
    @hookimpl(trylast=True)
    def prepare_request(self, model, request, call):  # type: ignore[no-untyped-def]
        if model.provider == "signed-demo" and call.attempt:
            raise aiwire.errors.MissingCredentialsError("the session expired: log in again")
        super().prepare_request(model, request, call)


def test_a_rebuild_that_fails_ends_the_call_with_the_reason() -> None:
    aiwire.register_plugin(ExpiringSigner(), "signer")
    try:
        msg = aiwire.complete_sync(MODEL, "hi", transport=transport([]))
    finally:
        aiwire.unregister_plugin("signer")
    assert msg.stop_reason == "error"
    assert "could not build the request for attempt 2" in str(msg.error_message)
    assert "the session expired: log in again" in str(msg.error_message)
