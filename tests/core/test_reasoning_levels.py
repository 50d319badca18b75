"""Reasoning levels from the catalog and compat flags, the clamp to the
nearest one, and the one rule for hints (``session_id``, ``cache_retention``)."""

from __future__ import annotations

import json
import logging

import pytest

import aiwire
from aiwire._engine.call import prepare
from aiwire._wire.reasoning import clamp_reasoning, supported_levels


def _model(**compat: object) -> aiwire.Model:
    return aiwire.custom_model("m", provider="anthropic", reasoning=True, compat=dict(compat))


def test_levels_come_from_the_catalog_and_compat_flags() -> None:
    opus = aiwire.get_model("anthropic/claude-opus-4-6")  # catalog efforts: low, medium, high, max
    assert supported_levels(opus) == ("off", "low", "medium", "high", "xhigh")  # max is aiwire's xhigh
    assert supported_levels(_model(reasoning_levels=["low", "high"])) == ("off", "low", "high")
    assert supported_levels(_model(efforts=["none", "low", "medium"])) == ("off", "low", "medium")
    assert supported_levels(aiwire.custom_model("m", provider="anthropic")) == ("off",)  # does not reason
    assert supported_levels(_model()) is None  # not known: the codec's rules decide
    assert supported_levels(aiwire.custom_model("qwen3", provider="ollama")) is None  # open catalog


@pytest.mark.parametrize(
    ("levels", "asked", "sent"),
    [
        (["low", "high"], "medium", "high"),  # a tie goes to the higher level
        (["low", "high"], "minimal", "low"),
        (["low", "medium", "high"], "xhigh", "high"),
        (["low", "medium", "high"], "high", "high"),
        (["low", "medium", "high"], "off", "off"),
    ],
)
def test_a_level_is_clamped_to_the_nearest(levels: list[str], asked: str, sent: str) -> None:
    assert clamp_reasoning(_model(reasoning_levels=levels), asked) == sent


def test_the_clamp_is_logged_and_reaches_the_request(caplog: pytest.LogCaptureFixture) -> None:
    model = msgspec_replace(aiwire.get_model("anthropic/claude-opus-4-6"), efforts=["low", "medium", "high"])
    with caplog.at_level(logging.WARNING, logger="aiwire.reasoning"):
        call = prepare(model, "hi", {"api_key": "k", "reasoning": "xhigh"})
    assert call.options.reasoning == "high" and call.request.json["output_config"] == {"effort": "high"}
    (record,) = [r for r in caplog.records if r.name == "aiwire.reasoning"]
    assert record.levelno == logging.WARNING and "'xhigh'" in record.getMessage()
    assert record.aiwire_reasoning == {  # type: ignore[attr-defined]
        "model": "anthropic/claude-opus-4-6",
        "requested": "xhigh",
        "sent": "high",
        "supported": ("off", "low", "medium", "high"),
    }


def test_a_model_that_does_not_reason_is_sent_no_reasoning(caplog: pytest.LogCaptureFixture) -> None:
    model = aiwire.get_model("groq/llama-3.3-70b-versatile")
    assert not model.reasoning
    with caplog.at_level(logging.WARNING, logger="aiwire.reasoning"):
        body = prepare(model, "hi", {"api_key": "k", "reasoning": "high"}).request.json
    assert "reasoning_effort" not in body and "sent as 'off'" in caplog.text


@pytest.mark.parametrize(
    "ref", ["google/gemini-2.5-flash", "anthropic/claude-sonnet-4-5", "openai/gpt-5", "groq/llama-3.3-70b-versatile"]
)
def test_hints_never_raise_on_any_provider(ref: str) -> None:
    call = prepare(aiwire.get_model(ref), "hi", {"api_key": "k", "session_id": "s-1", "cache_retention": "long"})
    takes = call.codec.supported_options
    assert (call.options.session_id == "s-1") == ("session_id" in takes)
    assert (call.options.cache_retention == "long") == ("cache_retention" in takes)


def test_other_unsupported_options_still_raise() -> None:
    with pytest.raises(aiwire.errors.BadOptionsError, match="stop"):
        prepare(aiwire.get_model("openai/gpt-5"), "hi", {"api_key": "k", "stop": ["x"]})


async def test_the_agent_follows_the_same_rule() -> None:
    # Gemini uses neither hint: the agent's session id is ignored, not an error.
    import httpx

    from aiwire.agent import Agent

    sent: list[httpx.Request] = []

    def gemini(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        answer = {"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}]}
        body = b"data: " + json.dumps(answer).encode() + b"\n\n"
        return httpx.Response(200, stream=httpx.ByteStream(body), headers={"content-type": "text/event-stream"})  # fmt: skip

    agent = Agent(
        "google/gemini-2.5-flash",
        session_id="s-1",
        stream_options={"api_key": "k", "cache_retention": "long", "transport": httpx.MockTransport(gemini)},
    )
    await agent.prompt("hi")
    last = agent.state.messages[-1]
    assert last.text == "ok" and len(sent) == 1, getattr(last, "error_message", None)
    assert b"s-1" not in sent[0].content


def msgspec_replace(model: aiwire.Model, **compat: object) -> aiwire.Model:
    import msgspec

    return msgspec.structs.replace(model, compat={**model.compat, **compat})
