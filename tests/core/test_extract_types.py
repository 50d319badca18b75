"""extract into Pydantic models, dataclasses, TypedDicts and msgspec Structs;
partial values while the answer streams."""

from __future__ import annotations

import dataclasses
from typing import Any, TypedDict

import msgspec
import pydantic
import pytest

import aiwire
from aiwire._demo.faux import FauxReply
from aiwire.testing import FauxProvider, text, tool_call


class PCity(pydantic.BaseModel):
    """A city and its population."""

    name: str
    population: int = pydantic.Field(ge=0)

    @pydantic.field_validator("name")
    @classmethod
    def capitalised(cls, v: str) -> str:
        if not v[:1].isupper():
            raise ValueError("the name must start with a capital letter")
        return v


@dataclasses.dataclass
class DCity:
    """A city."""

    name: str
    population: int


class SCity(msgspec.Struct):
    name: str
    population: int


class TCity(TypedDict):
    name: str
    population: int


def tool_mode(faux: FauxProvider) -> aiwire.Model:
    return msgspec.structs.replace(faux.model, compat={"structured_output": False})


@pytest.mark.parametrize("cls", [PCity, DCity, SCity])
async def test_extract_returns_an_instance_of_the_type(faux: FauxProvider, cls: Any) -> None:
    faux.reply(text('{"name": "Oslo", "population": 700000}'))
    city = await aiwire.extract(faux.model, "Largest city in Norway?", cls)
    assert type(city) is cls
    assert (city.name, city.population) == ("Oslo", 700000)
    fmt = faux.requests[0]["json"]["output_format"]
    assert fmt["name"] == cls.__name__
    assert fmt["schema"]["required"] == ["name", "population"]


async def test_extract_into_a_typeddict_by_tool_call(faux: FauxProvider) -> None:
    faux.reply(tool_call("TCity", {"name": "Oslo", "population": "700000"}))
    city = await aiwire.extract(tool_mode(faux), "Largest city in Norway?", TCity)
    assert city == {"name": "Oslo", "population": 700000}


async def test_pydantic_validation_errors_are_fed_back(faux: FauxProvider) -> None:
    faux.reply(tool_call("PCity", {"name": "oslo", "population": 700000}))
    faux.reply(tool_call("PCity", {"name": "Oslo", "population": 700000}))
    city = await aiwire.extract(tool_mode(faux), "Largest city in Norway?", PCity)
    assert city == PCity(name="Oslo", population=700000)
    feedback = faux.requests[1]["json"]["context"]["messages"][-1]
    assert feedback["is_error"]
    assert "capital letter" in feedback["content"][0]["text"]
    assert "$.name" in feedback["content"][0]["text"]


async def test_every_attempt_error_is_kept_for_a_dataclass(faux: FauxProvider) -> None:
    faux.reply(text('{"name": "Oslo"}'))
    faux.reply(text('{"name": "Oslo", "population": "lots"}'))
    with pytest.raises(aiwire.ExtractError) as info:
        await aiwire.extract(faux.model, "q", DCity, retries=1)
    assert "population" in info.value.errors[0] and "population" in info.value.errors[1]


async def test_a_type_without_a_schema_is_an_aiwire_error(faux: FauxProvider) -> None:
    class Opaque:
        pass

    with pytest.raises(aiwire.errors.InvalidInputError, match="Opaque"):
        await aiwire.extract(faux.model, "q", Opaque)
    with pytest.raises(aiwire.errors.InvalidInputError, match="object schema"):
        await aiwire.extract(faux.model, "q", list[int])
    assert faux.requests == []


async def test_mode_tool_and_mode_native(faux: FauxProvider) -> None:
    faux.reply(tool_call("SCity", {"name": "Oslo", "population": 1}))
    assert (await aiwire.extract(faux.model, "q", SCity, mode="tool")).name == "Oslo"
    assert faux.requests[0]["json"]["options"]["tool_choice"] == "SCity"
    assert "output_format" not in faux.requests[0]["json"]
    with pytest.raises(aiwire.errors.BadOptionsError, match="no native structured-output mode"):
        await aiwire.extract(tool_mode(faux), "q", SCity, mode="native")
    with pytest.raises(aiwire.errors.BadOptionsError, match="mode must be"):
        await aiwire.extract(faux.model, "q", SCity, mode="json")  # type: ignore[call-overload]


async def test_native_answer_in_a_code_fence(faux: FauxProvider) -> None:
    faux.reply(text('```json\n{"name": "Oslo", "population": 1}\n```'))
    assert (await aiwire.extract(faux.model, "q", SCity)).population == 1


async def test_partial_values_stream_then_the_result(faux: FauxProvider) -> None:
    payload = '{"name": "Oslo", "population": 700000}'
    faux.reply(FauxReply(content=[aiwire.TextContent(text=payload)], chunk_size=3, byte_chunk=20))
    stream = aiwire.extract_stream(faux.model, "Largest city in Norway?", PCity)
    seen = [dict(p) async for p in stream]
    assert seen[0] == {"name": "O"} or "name" in seen[0]
    assert any(p == {"name": "Oslo"} for p in seen)
    assert seen[-1] == {"name": "Oslo", "population": 700000}
    assert await stream.result() == PCity(name="Oslo", population=700000)


def test_partial_values_sync_in_tool_mode_with_a_retry(faux: FauxProvider) -> None:
    faux.reply(tool_call("DCity", {"name": "Oslo", "population": "x"}))
    faux.reply(tool_call("DCity", {"name": "Bergen", "population": 285000}))
    stream = aiwire.extract_stream_sync(tool_mode(faux), "q", DCity)
    seen = [dict(p) for p in stream]
    assert {"name": "Oslo"} in seen and seen[-1] == {"name": "Bergen", "population": 285000}
    assert stream.result() == DCity("Bergen", 285000)


async def test_result_without_iterating(faux: FauxProvider) -> None:
    faux.reply(text('{"name": "Oslo", "population": 1}'))
    assert await aiwire.extract_stream(faux.model, "q", SCity) == SCity("Oslo", 1)
