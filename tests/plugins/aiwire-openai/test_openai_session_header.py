"""Mistral keeps a conversation on one server (and its KV cache) when each
request carries the session id in ``x-affinity`` (compat ``session_header``)."""

from __future__ import annotations

import aiwire
from aiwire._plugins.registry import get_registry
from aiwire.plugin import Credentials, Options

CTX = aiwire.Context(messages=[aiwire.UserMessage(content="hi")])


def _headers(ref: str, **options: object) -> dict[str, str]:
    model = aiwire.get_model(ref) if "/" in ref else aiwire.custom_model(ref, provider="mistral")
    codec = get_registry().codec(model.api)
    req = codec.build_request(model, CTX, Options(**options), Credentials(api_key="k"))  # type: ignore[arg-type]
    return {k.lower(): v for k, v in req.headers.items()}


def test_mistral_sends_the_session_id_as_x_affinity() -> None:
    assert _headers("mistral-large-latest", session_id="conv-1")["x-affinity"] == "conv-1"


def test_no_session_id_or_no_cache_sends_no_affinity() -> None:
    assert "x-affinity" not in _headers("mistral-large-latest")
    assert "x-affinity" not in _headers("mistral-large-latest", session_id="conv-1", cache_retention="none")


def test_other_hosts_do_not_get_the_header() -> None:
    model = aiwire.custom_model("m", provider="groq", api="openai-completions")
    req = get_registry().codec(model.api).build_request(model, CTX, Options(session_id="s"), Credentials(api_key="k"))
    assert "x-affinity" not in {k.lower() for k in req.headers}
