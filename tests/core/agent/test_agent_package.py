"""The package surface: lazy loading, exports, argument checks."""

from __future__ import annotations

import subprocess
import sys

import pytest

import aiwire
from aiwire import agent as agent_pkg
from aiwire.agent._validate import ArgumentsError, validate_arguments


def test_import_stays_cheap() -> None:
    code = (
        "import sys, aiwire; assert 'aiwire.agent' not in sys.modules; "
        "import aiwire.agent; assert 'httpx' not in sys.modules, 'agent imported httpx'; "
        "assert aiwire.agent.Agent"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_all_matches_exports() -> None:
    public = {n for n in vars(agent_pkg) if not n.startswith(("_", "@"))} - {"annotations"}
    assert sorted(agent_pkg.__all__) == agent_pkg.__all__
    assert set(agent_pkg.__all__) == public
    assert aiwire.agent is agent_pkg and "agent" in aiwire.__all__


SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "mode": {"enum": ["fast", "slow"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "size": {"type": ["integer", "null"]},
        "inner": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]},
    },
    "required": ["name"],
}


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({}, "arguments: missing required property 'name'"),
        ({"name": 1}, "arguments.name: expected string, got integer"),
        ({"name": "a", "mode": "medium"}, "arguments.mode: 'medium' is not one of ['fast', 'slow']"),
        ({"name": "a", "tags": ["x", 2]}, "arguments.tags[1]: expected string, got integer"),
        ({"name": "a", "size": "big"}, "arguments.size: expected integer or null, got string"),
        ({"name": "a", "inner": {}}, "arguments.inner: missing required property 'x'"),
        ({"name": "a", "inner": {"x": True}}, "arguments.inner.x: expected number, got boolean"),
        ([1], "arguments must be a JSON object, got array"),
    ],
)
def test_validation_names_the_problem(args: object, problem: str) -> None:
    with pytest.raises(ArgumentsError) as info:
        validate_arguments(SCHEMA, args)
    assert problem in str(info.value)


def test_validation_accepts_good_arguments() -> None:
    good = {"name": "a", "mode": "fast", "tags": [], "size": None, "inner": {"x": 1}, "extra": {"any": 1}}
    assert validate_arguments(SCHEMA, good) is good
    assert validate_arguments({"type": "object", "properties": {"x": {"format": "weird"}}}, {"x": 1}) == {"x": 1}
