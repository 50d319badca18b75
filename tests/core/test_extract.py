from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
import pytest

import aiwire
from aiwire._demo.faux import FauxReply
from aiwire.testing import FauxProvider, text, tool_call


class City(msgspec.Struct):
    """A city and its population."""

    name: str
    population: int


class Trip(msgspec.Struct):
    origin: City
    stops: list[City]


def native_answer(payload: str) -> Any:
    def respond(body: Mapping[str, Any]) -> FauxReply:
        assert body["output_format"]["name"] == "City"
        assert body["output_format"]["schema"]["required"] == ["name", "population"]
        return FauxReply(content=[aiwire.TextContent(text=payload)])

    return respond


async def test_native_mode_when_the_codec_declares_one(faux: FauxProvider) -> None:
    faux.reply(native_answer('{"name": "Oslo", "population": 700000}'))
    city = await aiwire.extract(faux.model, "Largest city in Norway?", City)
    assert city == City(name="Oslo", population=700000)
    assert "tool_choice" not in faux.requests[0]["json"]["options"]


async def test_forced_tool_call_otherwise_with_feedback_and_retry(faux: FauxProvider) -> None:
    model = msgspec.structs.replace(faux.model, compat={"structured_output": False})
    faux.reply(tool_call("City", {"name": "Oslo", "population": "many"}))
    faux.reply(tool_call("City", {"name": "Oslo", "population": 700000}))
    city = await aiwire.extract(model, "Largest city in Norway?", City)
    assert city.population == 700000
    first, second = (r["json"] for r in faux.requests)
    assert first["options"]["tool_choice"] == "City"
    assert first["context"]["tools"][0]["parameters"]["required"] == ["name", "population"]
    feedback = second["context"]["messages"][-1]
    assert feedback["role"] == "tool_result" and feedback["is_error"]
    assert "population" in feedback["content"][0]["text"]


def test_sync_raises_with_every_attempt_error(faux: FauxProvider) -> None:
    faux.reply(text("not json"))
    faux.reply(text('{"name": "Oslo"}'))
    ctx = aiwire.Context(messages=[aiwire.UserMessage(content="q")])
    with pytest.raises(aiwire.ExtractError) as info:
        aiwire.extract_sync(faux.model, ctx, City, retries=1)
    assert len(info.value.errors) == 2
    assert "malformed" in info.value.errors[0].lower() or "json" in info.value.errors[0].lower()
    assert "population" in info.value.errors[1]
    assert len(ctx.messages) == 1  # the caller's context is not modified


async def test_nested_structs_and_json_schema_dicts(faux: FauxProvider) -> None:
    faux.reply(text('{"origin": {"name": "A", "population": 1}, "stops": [{"name": "B", "population": "2"}]}'))
    trip = await aiwire.extract(faux.model, "plan", Trip)
    assert trip.stops[0].population == 2
    schema = {"title": "Answer", "type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    model = msgspec.structs.replace(faux.model, compat={"structured_output": False})
    faux.reply(tool_call("Answer", {"n": "4"}))
    assert await aiwire.extract(model, "2+2", schema) == {"n": 4}


async def test_a_failed_turn_raises_provider_error(faux: FauxProvider) -> None:
    faux.reply(FauxReply(status=500, error="down", headers={"x-should-retry": "false"}))
    with pytest.raises(aiwire.errors.ProviderError):
        await aiwire.extract(faux.model, "q", City)
