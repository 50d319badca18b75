"""aiwire-openai's Chat Completions codec against a real llama.cpp server.

``scripts/llama-server.sh`` (a CI step) starts llama-cpp-python's
OpenAI-compatible server with SmolLM2-135M-Instruct on 127.0.0.1 and runs these
tests with ``AIWIRE_LLAMA_URL`` set to its ``/v1`` URL; without it they skip.
The model is tiny and its words are not asserted, only what the protocol
promises: text arrives as deltas, ``max_tokens`` ends a turn with ``length``,
usage is read when the server sends it, an abort frees the connection, many
streams run at once, and the CLI talks to it.
"""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest

import aiwire
from aiwire import events as ev

URL = os.environ.get("AIWIRE_LLAMA_URL", "")
pytestmark = [
    pytest.mark.llama,
    pytest.mark.skipif(not URL, reason="no llama.cpp server: set AIWIRE_LLAMA_URL (scripts/llama-server.sh does)"),
]
MODEL_ID = "smollm2"  # the server's --model_alias
LONG = "Write a long story about a lighthouse keeper and the sea."


def model() -> aiwire.Model:
    return aiwire.custom_model(MODEL_ID, provider="llamacpp", base_url=URL)


def test_streaming_text_arrives_as_deltas() -> None:
    events = list(aiwire.stream_sync(model(), "Say hello to me.", max_tokens=24, temperature=0))
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "Start" and kinds[-1] == "Done", kinds
    msg = events[-1].message
    assert msg.stop_reason in ("stop", "length") and msg.text.strip(), msg.error_message
    deltas = [e.delta for e in events if isinstance(e, ev.TextDelta)]
    assert len(deltas) > 1 and "".join(deltas) == msg.text
    assert msg.provider == "llamacpp" and msg.model == MODEL_ID and msg.id


def test_complete_returns_text_and_usage() -> None:
    msg = aiwire.complete_sync(model(), "Name one colour.", max_tokens=16, temperature=0)
    assert msg.stop_reason in ("stop", "length") and msg.text.strip(), msg.error_message
    # The server reports usage on whole responses: prompt and completion tokens.
    assert msg.usage is not None and msg.usage.input > 5 and 0 < msg.usage.output <= 16
    assert msg.usage.total == msg.usage.input + msg.usage.output


def test_max_tokens_stops_with_length() -> None:
    msg = aiwire.complete_sync(model(), LONG, max_tokens=5, temperature=0)
    assert msg.stop_reason == "length" and msg.text, msg.error_message
    assert msg.usage is not None and msg.usage.output == 5
    streamed = list(aiwire.stream_sync(model(), LONG, max_tokens=5, temperature=0))[-1].message
    assert streamed.stop_reason == "length" and streamed.text == msg.text  # same tokens at temperature 0


def test_streamed_usage_is_what_the_server_sends() -> None:
    # llama-cpp-python's server sends no usage chunk in a stream, even with
    # stream_options.include_usage; aiwire then says "unknown", never zeros.
    msg = list(aiwire.stream_sync(model(), "Hi", max_tokens=4))[-1].message
    assert msg.stop_reason in ("stop", "length")
    assert msg.usage is None or (msg.usage.input > 0 and msg.usage.output > 0)


async def test_abort_mid_stream_releases_the_connection() -> None:
    # One connection only: if the aborted stream kept it, the next call could not get one.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60, pool=10)) as http:
        client = aiwire.AsyncClient(http_client=http)
        stream = client.stream(model(), LONG, max_tokens=400)
        seen = 0
        async for event in stream:
            if isinstance(event, ev.TextDelta):
                seen += 1
                if seen == 3:
                    stream.abort()
        msg = await stream.result()
        assert msg.stop_reason == "aborted" and msg.text  # the partial text is kept
        after = await client.complete(model(), "Say yes.", max_tokens=4)
        assert after.stop_reason in ("stop", "length"), after.error_message
        await client.aclose()


async def test_twenty_concurrent_streams() -> None:
    async def one(i: int) -> aiwire.AssistantMessage:
        events = [e async for e in aiwire.stream(model(), f"Count to {i + 2}.", max_tokens=6, temperature=0)]
        return events[-1].message

    messages = await asyncio.gather(*(one(i) for i in range(20)))
    assert [m.stop_reason in ("stop", "length") for m in messages] == [True] * 20, [m.error_message for m in messages]
    assert all(m.text for m in messages) and len({m.id for m in messages}) == 20


def test_cli_chat_against_the_server(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import msgspec

    from aiwire._cli.main import main
    from aiwire._plugins.registry import get_registry

    # The CLI has no base-URL flag yet: point the llamacpp provider at the server.
    providers = get_registry().providers
    monkeypatch.setitem(providers, "llamacpp", msgspec.structs.replace(providers["llamacpp"], base_url=URL))
    code = main(["chat", "-m", f"llamacpp/{MODEL_ID}", "--max-tokens", "8", "--no-tools", "Say hi."])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.strip(), err
