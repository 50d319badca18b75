"""Tools declared from Python types: functions, Pydantic models, dataclasses,
TypedDicts and msgspec Structs."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import Annotated, Any, Literal, TypedDict

import msgspec
import pydantic
import pytest

import aiwire
from aiwire.agent import Agent, FunctionTool
from aiwire.testing import FauxProvider, text, tool_call


@dataclasses.dataclass
class Point:
    """A place on the map."""

    lat: float
    lon: float


class Units(TypedDict):
    temperature: Literal["C", "F"]


class Forecast(msgspec.Struct):
    days: int
    hourly: bool = False


class City(pydantic.BaseModel):
    """A city and its population."""

    name: str
    population: int = pydantic.Field(ge=0, description="number of inhabitants")


def weather(city: str, days: int = 3, units: Literal["metric", "imperial"] = "metric") -> str:
    """Get the weather forecast.

    Args:
        city: The city name,
            for example Paris.
        days (int): How many days ahead.
        units: Unit system.

    Returns:
        The forecast.
    """
    return f"{city}: sunny for {days} days ({units})"


def test_function_schema_comes_from_type_hints_and_the_google_docstring() -> None:
    tool = FunctionTool(weather)
    d = tool.definition
    assert d.name == "weather"
    assert d.description == "Get the weather forecast."
    assert d.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "The city name, for example Paris."},
            "days": {"type": "integer", "default": 3, "description": "How many days ahead."},
            "units": {"enum": ["imperial", "metric"], "default": "metric", "description": "Unit system."},
        },
        "required": ["city"],
    }


def test_numpy_and_rest_docstrings() -> None:
    def numpy_style(where: Point, names: list[str]) -> str:
        """Look things up.

        Parameters
        ----------
        where : Point
            Where to look.
        names : list of str
            What to look for,
            one name each.
        """
        return ""

    def rest_style(a: int, b: Annotated[int, msgspec.Meta(ge=0)]) -> str:
        """Add.

        :param a: the first
        :param int b: the second
        :returns: the sum
        """
        return ""

    n = FunctionTool(numpy_style).definition
    assert n.description == "Look things up."
    assert n.parameters["properties"]["names"]["description"] == "What to look for, one name each."
    assert n.parameters["properties"]["where"]["description"] == "Where to look."
    assert n.parameters["$defs"]["Point"]["required"] == ["lat", "lon"]
    r = FunctionTool(rest_style).definition
    assert r.description == "Add."
    assert r.parameters["properties"]["b"] == {"type": "integer", "minimum": 0, "description": "the second"}


def test_untyped_parameters_are_refused_by_name() -> None:
    def bad(city, days: int, units):  # type: ignore[no-untyped-def]
        return ""

    with pytest.raises(aiwire.errors.InvalidToolError, match=r"without type hints: city, units"):
        FunctionTool(bad)
    FunctionTool(bad, parameters={"type": "object", "properties": {}})  # an explicit schema still works


def test_cancel_and_on_update_are_not_parameters() -> None:
    async def slow(n: int, cancel: Any, on_update: Any) -> str:
        return str(n)

    assert list(FunctionTool(slow).definition.parameters["properties"]) == ["n"]


@pytest.mark.parametrize("cls", [Point, Units, Forecast, City])
def test_tool_parameters_from_a_type(cls: type) -> None:
    tool = aiwire.Tool(name="t", parameters=cls)
    assert tool.parameters["type"] == "object"
    assert "title" not in tool.parameters
    assert set(tool.parameters["required"]) <= set(tool.parameters["properties"])
    if cls.__doc__ and cls is not Units:
        assert tool.description == cls.__doc__.strip()


def test_tool_from_a_pydantic_model_keeps_its_constraints() -> None:
    params = aiwire.Tool(name="city", parameters=City).parameters
    assert params["properties"]["population"]["minimum"] == 0
    assert params["properties"]["population"]["description"] == "number of inhabitants"


def test_tool_parameters_that_are_not_a_schema_are_refused() -> None:
    class Plain:
        pass

    with pytest.raises(aiwire.errors.InvalidInputError, match="Pydantic model, dataclass, TypedDict or msgspec Struct"):
        aiwire.Tool(name="t", parameters=Plain)  # type: ignore[arg-type]
    with pytest.raises(aiwire.errors.InvalidInputError, match="FunctionTool"):
        aiwire.Tool(name="t", parameters=weather)  # type: ignore[arg-type]


def test_unsupported_parameter_types_are_refused_with_the_type_named() -> None:
    class Opaque:
        pass

    def f(x: Opaque) -> str:
        return ""

    with pytest.raises(aiwire.errors.InvalidToolError, match="tool 'f'.*Opaque"):
        FunctionTool(f)


async def test_the_agent_calls_a_plain_typed_function(faux: FauxProvider) -> None:
    seen: list[Any] = []

    def locate(where: Point, forecast: Forecast, units: Units) -> dict[str, Any]:
        """Weather at a point."""
        seen.append((where, forecast, units))
        return {"ok": True, "days": forecast.days}

    faux.reply(
        tool_call(
            "locate", {"where": {"lat": 59.9, "lon": "10.7"}, "forecast": {"days": 2}, "units": {"temperature": "C"}}
        )
    )
    faux.reply(text("done"))
    agent = Agent(faux.model, tools=[locate])  # a plain function is made a FunctionTool
    await agent.prompt("weather in Oslo?")

    assert seen == [(Point(59.9, 10.7), Forecast(days=2), {"temperature": "C"})]
    results = [m for m in agent.state.messages if isinstance(m, aiwire.ToolResultMessage)]
    assert not results[0].is_error
    assert results[0].content[0].text == '{"ok":true,"days":2}'  # type: ignore[union-attr]


async def test_arguments_are_validated_by_pydantic_and_errors_go_back(faux: FauxProvider) -> None:
    calls: list[City] = []

    def register(city: City) -> str:
        """Register a city."""
        calls.append(city)
        return "registered"

    faux.reply(tool_call("register", {"city": {"name": "Oslo", "population": -5}}))
    faux.reply(tool_call("register", {"city": {"name": "Oslo", "population": "700000"}}))
    faux.reply(text("done"))
    agent = Agent(faux.model, tools=[register])
    await agent.prompt("register Oslo")

    assert calls == [City(name="Oslo", population=700000)]
    results = [m for m in agent.state.messages if isinstance(m, aiwire.ToolResultMessage)]
    assert results[0].is_error
    assert "population" in results[0].content[0].text  # type: ignore[union-attr]
    assert not results[1].is_error


def test_import_aiwire_does_not_import_pydantic() -> None:
    code = (
        "import sys, aiwire, aiwire.agent, aiwire.tools\n"
        "from aiwire.agent import FunctionTool\n"
        "def f(x: int) -> str:\n    return ''\n"
        "FunctionTool(f)\n"
        "aiwire.Tool(name='t', parameters=__import__('aiwire').Context)\n"
        "assert 'pydantic' not in sys.modules, 'pydantic was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
