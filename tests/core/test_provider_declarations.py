"""What a host declares about itself, enforced by the core: ``ProviderSpec.options``
(the call options it takes), ``stream_only`` (``complete()`` collects a
stream), and what request hooks see (``call`` with the credentials; headers
case-insensitive)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import aiwire
from aiwire._wire.codec import Request
from aiwire._wire.exchange import RequestContext
from aiwire._wire.headers import Headers
from aiwire.errors import BadOptionsError


def _transport() -> Any:
    from aiwire._demo.builtin import _demo_transport

    return _demo_transport()


class Narrow:
    """A host of the faux api that takes two options and answers only streams."""

    AIWIRE_PLUGIN_API = 2

    @aiwire.hookimpl
    def register_providers(self, register: Any) -> None:
        register(
            aiwire.ProviderSpec(
                id="narrow",
                api="faux",
                base_url="http://narrow.invalid",
                auth="none",
                options=frozenset({"temperature", "headers"}),
                stream_only=True,
            )
        )
        register(aiwire.ProviderSpec(id="wide", api="faux", base_url="http://wide.invalid", auth="none"))


@pytest.fixture
def narrow() -> Iterator[None]:
    aiwire.register_plugin(Narrow(), "narrow")
    yield
    aiwire.unregister_plugin("narrow")


def _sent(provider: str) -> tuple[aiwire.Model, list[Request], dict[str, Any]]:
    seen: list[Request] = []
    options = {"transport": _transport(), "on_payload": lambda m, r: seen.append(r)}
    return aiwire.custom_model("m", provider=provider), seen, options


async def test_complete_on_a_stream_only_host_collects_the_stream(narrow: None) -> None:
    model, seen, options = _sent("narrow")
    msg = await aiwire.complete(model, "hi", temperature=0.5, **options)
    assert msg.stop_reason == "stop" and msg.text
    assert aiwire.complete_sync(model, "hi", **options).text == msg.text
    assert aiwire.stream_sync(model, "hi", **options).result().text == msg.text
    assert [r.json["stream"] for r in seen] == [True, True, True]
    # Other hosts keep their non-streamed complete().
    model, seen, options = _sent("wide")
    aiwire.complete_sync(model, "hi", max_tokens=5, **options)
    assert seen[0].json["stream"] is False


@pytest.mark.parametrize("option", [{"max_tokens": 5}, {"top_p": 0.5}, {"reasoning": "high"}])
def test_options_a_host_does_not_take_raise_before_any_request(narrow: None, option: dict[str, Any]) -> None:
    model, seen, options = _sent("narrow")
    (name,) = option
    for call in (aiwire.stream_sync, aiwire.complete_sync):
        with pytest.raises(BadOptionsError, match=rf"provider 'narrow' does not accept option\(s\) {name}") as err:
            call(model, "hi", **option, **options)
        assert "it takes: headers, temperature" in str(err.value) and "remove" in str(err.value)
    assert seen == []


def test_prepare_request_sees_the_call_and_case_insensitive_headers(narrow: None) -> None:
    calls: list[RequestContext] = []

    class Hook:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl
        def prepare_request(self, model: aiwire.Model, request: Request, call: RequestContext) -> None:
            calls.append(call)
            request.headers["AUTHORIZATION"] = "Bearer from-hook"
            request.headers["X-Custom"] = "hook"

    aiwire.register_plugin(Hook(), "hook")
    try:
        model, seen, options = _sent("narrow")
        aiwire.complete_sync(
            model, "hi", api_key="sk-one", headers={"x-custom": "call", "Authorization": "x"}, **options
        )
    finally:
        aiwire.unregister_plugin("hook")
    (call,) = calls
    assert call.credentials.api_key == "sk-one" and call.stream is True and call.request is seen[0]
    headers = seen[0].headers
    assert isinstance(headers, Headers)
    assert [k for k in headers if k == "authorization"] == ["authorization"]
    assert headers["authorization"] == "Bearer from-hook" and headers["x-custom"] == "hook"
