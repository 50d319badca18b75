"""Recorded vendor requests (``../shared/conformance``) rebuilt by aiwire and
compared on the fields that decide whether the vendor accepts them.

Each recording's request is turned into an aiwire call (model, context,
options) where that is possible (``tests/_conformance_requests.py``) and
built by the real codec; the fields that decide acceptance (roles and block
types, tool definitions and tool_choice, thinking/reasoning configuration,
cache-control placement, token limits, streaming flags, include lists) must be
equal, or the difference must be one of ``INTENDED``, with its reason. A
recording that cannot be expressed is skipped with the reason (``-ra`` lists
them); docs/testing.md has both lists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _conformance_requests import WIRE_API, Unexpressible, features, to_call

from aiwire._engine.call import prepare
from aiwire.errors import BadOptionsError

ROOT = Path(__file__).resolve().parents[2]


def _conformance() -> Path | None:
    for parent in (ROOT, *ROOT.parents):
        candidate = parent.parent / "shared" / "conformance"
        if candidate.is_dir():
            return candidate
    return None


DIR = _conformance()
RECORDINGS = sorted(
    (p for api in WIRE_API for p in (DIR / api).glob("*.json")) if DIR is not None else [], key=lambda p: p.name
)

# (api, feature) -> why aiwire's request differs from the recorded one on purpose.
INTENDED: dict[tuple[str, str], str] = {
    ("anthropic-messages", "cache_control"): (
        "aiwire marks the prompt for caching itself (system, tools, last message: at most 4 breakpoints, checked "
        "below), where the recorded client marked nothing or used the request-level field"
    ),
    ("openai-completions", "include_usage"): (
        "aiwire asks every stream for its usage (stream_options.include_usage); hosts that refuse it say so in compat"
    ),
    ("openai-completions", "roles"): "aiwire sends one system prompt, where the recording split it in two",
    ("openai-completions", "parts"): "follows from the one system prompt",
    ("openai-completions", "tool_calls"): "follows from the one system prompt",
    ("openai-completions", "reasoning"): (
        "aiwire states a reasoning level (OpenRouter's reasoning.effort) where the recording only enabled it"
    ),
    ("openai-responses", "include"): (
        "aiwire keeps Responses conversations stateless (store: false), which needs the encrypted reasoning "
        "back, so it asks for it on every reasoning model"
    ),
}
# recording -> feature -> reason, for differences that only one recording shows.
INTENDED_FOR: dict[str, dict[str, str]] = {
    "test_openai__test_openai_o1_mini_system_role_developer.json": {
        "roles": "the recording is o1-mini's 400 for the developer role; aiwire sends that model's system prompt as user",
    },
    "test_anthropic__test_anthropic_explicit_effort_xhigh_unsupported_model_errors.json": {
        "effort": "the recording is the 400 for a level the model lacks; aiwire clamps the level to one it takes",
        "thinking": "aiwire pairs the effort with adaptive thinking on models that think adaptively",
    },
}
# Requests aiwire refuses before sending, as it should.
REFUSED = {
    "test_openai_responses__test_openai_responses_model_http_error.json": "temperature=-1.0 is out of range",
}


@pytest.mark.conformance
@pytest.mark.skipif(DIR is None, reason="needs ../shared/conformance beside the clone")
@pytest.mark.parametrize("path", RECORDINGS, ids=[p.name.removesuffix(".json") for p in RECORDINGS])
def test_recorded_request_rebuilt_by_aiwire(path: Path) -> None:
    rec = json.loads(path.read_text())
    api = WIRE_API[rec["api"]]
    try:
        model, context, options, kind = to_call(rec)
    except Unexpressible as exc:
        pytest.skip(f"not expressible as an aiwire call: {exc}")
    if path.name in REFUSED:
        with pytest.raises(BadOptionsError, match=REFUSED[path.name]):
            prepare(model, context, options, kind=kind)  # type: ignore[arg-type]
        return
    body = prepare(model, context, options, kind=kind).request.json  # type: ignore[arg-type]
    recorded, built = features(api, rec["request"]["body"]), features(api, body)
    unexplained: dict[str, Any] = {}
    for key, value in recorded.items():
        if built[key] == value:
            continue
        if (api, key) in INTENDED or key in INTENDED_FOR.get(path.name, {}):
            continue
        unexplained[key] = {"recorded": value, "aiwire": built[key]}
    assert not unexplained, f"{path.name}: {unexplained}"
    if api == "anthropic-messages":
        marks = json.dumps(body).count('"cache_control"')
        assert marks <= 4, f"{marks} cache breakpoints: the Messages api takes at most 4"


def test_every_intended_difference_is_documented() -> None:
    text = (ROOT / "docs" / "testing.md").read_text()
    section = text[text.index("### Recorded requests, rebuilt") :]
    for api, key in INTENDED:
        assert f"| `{api}` | `{key}` |" in section, (api, key)
