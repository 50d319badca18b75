"""The public call API: setup errors raise, later failures are events."""

from __future__ import annotations

import asyncio
import copy

import pytest

import aiwire
from aiwire import events as ev
from aiwire._wire.codec import Credentials, Request
from aiwire.errors import BadOptionsError, DecodeError, InvalidToolError, MissingCredentialsError, ProviderError
from aiwire.testing import FauxProvider, error, text, thinking, tool_call

TOOL = aiwire.Tool(
    name="calc", description="math", parameters={"type": "object", "properties": {"x": {"type": "number"}}}
)


def test_unknown_and_badly_typed_options(faux: FauxProvider) -> None:
    with pytest.raises(BadOptionsError, match=r"unknown option\(s\) max_token;.*provider_options"):
        aiwire.stream_sync(faux.model, "hi", max_token=5)
    with pytest.raises(BadOptionsError, match=r"bad option: Expected `int \| null`, got `str` - at `\$.max_tokens`"):
        aiwire.stream_sync(faux.model, "hi", max_tokens="lots")
    with pytest.raises(BadOptionsError, match="reasoning"):
        aiwire.stream_sync(faux.model, "hi", reasoning="extreme")


def test_options_a_codec_does_not_support_are_reported(faux: FauxProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiwire._demo.faux import FauxCodec

    monkeypatch.setattr(FauxCodec, "supported_options", frozenset({"max_tokens"}))
    with pytest.raises(BadOptionsError, match="the faux api does not support option.*temperature"):
        aiwire.stream_sync(faux.model, "hi", temperature=0.2)


@pytest.mark.parametrize(
    ("tool", "message"),
    [
        (aiwire.Tool(name="bad name!"), "tool name 'bad name!' is not allowed"),
        (aiwire.Tool(name="t", parameters={"type": "array"}), 'parameters must have "type": "object"'),
        (
            aiwire.Tool(name="t", parameters={"type": "object", "properties": {"a": {"type": "text"}}}),
            r"parameters.properties.a.type 'text' is not a JSON Schema type",
        ),
        (aiwire.Tool(name="t", parameters={"type": "object", "required": "a"}), "required must be a list"),
        (
            aiwire.Tool(name="t", parameters={"type": "object", "properties": {"a": {"anyOf": [{"type": "nope"}]}}}),
            r"anyOf\[0\]",
        ),
    ],
)
def test_invalid_tools_name_the_problem(faux: FauxProvider, tool: aiwire.Tool, message: str) -> None:
    with pytest.raises(InvalidToolError, match=message):
        aiwire.stream_sync(faux.model, aiwire.Context(messages=[aiwire.UserMessage(content="x")], tools=[tool]))


def test_duplicate_tools_and_unknown_tool_choice(faux: FauxProvider) -> None:
    ctx = aiwire.Context(messages=[aiwire.UserMessage(content="x")], tools=[TOOL, TOOL])
    with pytest.raises(InvalidToolError, match="two tools are named 'calc'"):
        aiwire.stream_sync(faux.model, ctx)
    with pytest.raises(BadOptionsError, match="tool_choice='calculator' is neither"):
        aiwire.stream_sync(faux.model, aiwire.Context(tools=[TOOL]), tool_choice="calculator")


def test_context_forms(faux: FauxProvider) -> None:
    faux.reply(text("a"))
    faux.reply(text("b"))
    assert aiwire.complete_sync(faux.model, {"messages": [{"role": "user", "content": "hi"}]}).text == "a"
    assert aiwire.complete_sync(faux.model, "hi").text == "b"
    with pytest.raises(DecodeError, match=r"context does not match aiwire.Context.*\$\.messages\[0\]"):
        aiwire.stream_sync(faux.model, {"messages": [{"role": "wizard"}]})
    with pytest.raises(DecodeError, match="not int"):
        aiwire.stream_sync(faux.model, 42)  # type: ignore[arg-type]


def test_nothing_the_caller_passed_is_mutated(faux: FauxProvider) -> None:
    ctx = aiwire.Context(system_prompt="s", messages=[aiwire.UserMessage(content="hi")], tools=[TOOL])
    before = copy.deepcopy(ctx)
    headers = {"x-a": "1"}
    faux.reply(text("ok"))
    aiwire.complete_sync(faux.model, ctx, headers=headers)
    assert ctx == before and headers == {"x-a": "1"}


def test_missing_credentials_name_the_variable_and_login(monkeypatch: pytest.MonkeyPatch) -> None:
    class Keyed:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl
        def register_providers(self, register):
            register(
                aiwire.ProviderSpec(
                    id="keyed", api="faux", base_url="http://k.invalid", env=("KEYED_API_KEY",), login="keyed"
                )
            )

    monkeypatch.delenv("KEYED_API_KEY", raising=False)
    aiwire.register_plugin(Keyed(), "keyed")
    try:
        model = aiwire.custom_model("m", provider="keyed")
        with pytest.raises(MissingCredentialsError, match=r"\$KEYED_API_KEY, or log in with `aiwire login keyed`"):
            aiwire.stream_sync(model, "hi")
        monkeypatch.setenv("KEYED_API_KEY", "sk-secret-from-env")
        seen: list[Request] = []
        transport = _demo()
        aiwire.complete_sync(model, "hi", transport=transport, on_payload=lambda m, r: seen.append(r))
        assert seen[0].headers["authorization"] == "Bearer sk-secret-from-env"
        # Explicit api_key wins over the environment.
        aiwire.complete_sync(
            model, "hi", transport=transport, api_key="sk-explicit", on_payload=lambda m, r: seen.append(r)
        )
        assert seen[1].headers["authorization"] == "Bearer sk-explicit"
        assert "sk-explicit" not in repr(seen[1])
    finally:
        aiwire.unregister_plugin("keyed")


def _demo():
    from aiwire._demo.builtin import _demo_transport

    return _demo_transport()


def test_reprs_never_show_secrets() -> None:
    cred = Credentials("sk-ant-very-secret", source="$X")
    assert "very-secret" not in repr(cred)
    opts = aiwire.Options(api_key="sk-very-secret", max_tokens=5)
    assert "very-secret" not in repr(opts) and "max_tokens=5" in repr(opts)
    req = Request(url="http://x", headers={"authorization": "Bearer sk-very-secret"})
    assert "very-secret" not in repr(req)


def test_http_errors_become_error_messages(faux: FauxProvider) -> None:
    faux.reply(error("quota exhausted", status=400, error_type="invalid_request_error"))
    events = list(aiwire.stream_sync(faux.model, "hi"))
    assert [type(e) for e in events] == [ev.Start, ev.Error]  # every stream begins with start
    msg = events[1].message
    assert (msg.stop_reason, msg.error_status, msg.error_type, msg.error_message) == (
        "error",
        400,
        "invalid_request_error",
        "quota exhausted",
    )
    faux.reply(error("bad", status=401))
    with pytest.raises(ProviderError, match="HTTP 401: bad"):
        aiwire.complete_sync(faux.model, "hi", check=True)


def test_in_stream_error_keeps_partial_content(faux: FauxProvider) -> None:
    faux.reply(
        aiwire._demo.faux.FauxReply(
            content=[aiwire.TextContent(text="partial answer")], error="overloaded", error_type="overloaded_error"
        )
    )
    s = aiwire.stream_sync(faux.model, "hi")
    events = list(s)
    assert isinstance(events[-1], ev.Error)
    assert s.result().text == "partial answer" and s.result().error_type == "overloaded_error"


def test_hooks_see_each_request_once(faux: FauxProvider) -> None:
    calls: list[str] = []

    class Observer:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl
        def prepare_request(self, model, request):
            calls.append("prepare")
            request.headers["x-traced"] = "yes"

        @aiwire.hookimpl
        def on_response(self, model, response):
            calls.append(f"response {response.status_code}")

        @aiwire.hookimpl
        def on_message_end(self, model, message):
            calls.append(f"end {message.stop_reason}")

    aiwire.register_plugin(Observer(), "observer")
    try:
        faux.reply(text("a" * 200), chunk_size=1)
        aiwire.complete_sync(faux.model, "hi")
        s = aiwire.stream_sync(faux.model, "hi")
        faux.reply(text("b" * 200), chunk_size=1)
        list(s)
    finally:
        aiwire.unregister_plugin("observer")
    assert calls == ["prepare", "response 200", "end stop"] * 2
    assert faux.requests[-1]["headers"]["x-traced"] == "yes"


def test_on_payload_may_replace_the_request(faux: FauxProvider) -> None:
    faux.reply(text("x"))

    def rewrite(model: aiwire.Model, request: Request) -> Request:
        request.json["extra"] = True
        return request

    aiwire.complete_sync(faux.model, "hi", on_payload=rewrite)
    assert faux.requests[0]["json"]["extra"] is True


async def test_await_without_iterating(faux: FauxProvider) -> None:
    faux.reply(thinking("t"), text("hello"), tool_call("calc", {"x": 1}))
    msg = await aiwire.stream(faux.model, aiwire.Context(messages=[aiwire.UserMessage(content="hi")], tools=[TOOL]))
    assert msg.stop_reason == "tool_use" and msg.text == "hello"
    assert msg.usage is not None and msg.usage.cost.total > 0


async def test_abort_keeps_content_and_usage(faux: FauxProvider) -> None:
    faux.reply(text("x" * 400), chunk_size=4, delay=0.01)
    s = aiwire.stream(faux.model, "hi")
    seen = 0
    async for e in s:
        if isinstance(e, ev.TextDelta):
            seen += 1
            if seen == 3:
                s.abort()
    msg = s.message
    assert msg is not None and msg.stop_reason == "aborted"
    assert msg.text.startswith("x" * 12)


async def test_breaking_out_ends_the_stream_as_aborted(faux: FauxProvider) -> None:
    faux.reply(text("y" * 400), chunk_size=4, delay=0.005)
    async with aiwire.stream(faux.model, "hi") as s:
        async for e in s:
            if isinstance(e, ev.TextDelta):
                break
    assert s.message is not None and s.message.stop_reason == "aborted"
    faux.reply(text("again"))
    assert (await aiwire.complete(faux.model, "hi")).text == "again"


async def test_cancelling_the_task_aborts(faux: FauxProvider) -> None:
    faux.reply(text("z" * 400), chunk_size=4, delay=0.01)
    s = aiwire.stream(faux.model, "hi")

    async def consume() -> None:
        async for _ in s:
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert s.message is not None and s.message.stop_reason == "aborted"


def test_sync_abort_from_another_thread(faux: FauxProvider) -> None:
    import threading

    faux.reply(text("q" * 400), chunk_size=4, delay=0.01)
    s = aiwire.stream_sync(faux.model, "hi")
    threading.Timer(0.05, s.abort).start()
    events = list(s)
    assert isinstance(events[-1], ev.Error) and events[-1].reason == "aborted"
    assert s.result().stop_reason == "aborted"


def test_stream_iterates_once(faux: FauxProvider) -> None:
    faux.reply(text("a"))
    s = aiwire.stream_sync(faux.model, "hi")
    list(s)
    with pytest.raises(RuntimeError, match="only once"):
        list(s)


def test_no_scripted_reply_is_an_error_event(faux: FauxProvider) -> None:
    msg = aiwire.complete_sync(faux.model, "hi")
    assert msg.stop_reason == "error" and "no scripted reply" in (msg.error_message or "")
