"""Service-tier pricing: the tier a response ran in (``service_tier``) scales
the catalog cost (flex half, priority double on OpenAI), on both wires; a
host without tier prices, and the default tier, keep the catalog cost."""

from __future__ import annotations

import json

import httpx
import pytest

import aiwire


def chat_body(tier: str | None) -> dict[str, object]:
    body: dict[str, object] = {
        "id": "c1",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100},
    }
    if tier:
        body["service_tier"] = tier
    return body


def responses_body(tier: str) -> dict[str, object]:
    return {
        "id": "resp_1",
        "status": "completed",
        "service_tier": tier,
        "output": [
            {"type": "message", "id": "msg_1", "role": "assistant", "content": [{"type": "output_text", "text": "hi"}]}
        ],
        "usage": {"input_tokens": 1000, "output_tokens": 100, "total_tokens": 1100},
    }


def complete(ref: str, body: dict[str, object], **options: object) -> aiwire.AssistantMessage:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    return aiwire.complete_sync(ref, "hi", api_key="k", transport=transport, **options)


@pytest.mark.parametrize(("tier", "factor"), [("flex", 0.5), ("priority", 2.0), ("default", 1.0)])
def test_responses_cost_follows_the_tier(tier: str, factor: float) -> None:
    model = aiwire.get_model("openai/gpt-5-mini")
    msg = complete("openai/gpt-5-mini", responses_body(tier), provider_options={"service_tier": tier})
    assert msg.usage is not None and msg.provider_data is not None and msg.provider_data["service_tier"] == tier
    standard = (1000 * model.cost.input + 100 * model.cost.output) / 1e6
    assert msg.usage.cost.total == pytest.approx(standard * factor)
    assert msg.usage.cost.input == pytest.approx(1000 * model.cost.input / 1e6 * factor)


@pytest.mark.parametrize(("tier", "factor"), [("flex", 0.5), ("priority", 2.0), (None, 1.0)])
def test_chat_cost_follows_the_tier(tier: str | None, factor: float) -> None:
    model = aiwire.custom_model(
        "gpt-4.1", provider="openai", api="openai-completions", cost=aiwire.get_model("openai/gpt-4.1").cost
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=chat_body(tier)))
    msg = aiwire.complete_sync(model, "hi", api_key="k", transport=transport)
    standard = (1000 * model.cost.input + 100 * model.cost.output) / 1e6
    assert msg.usage is not None and msg.usage.cost.total == pytest.approx(standard * factor)


def test_hosts_without_tier_prices_keep_the_catalog_cost() -> None:
    msg = complete("groq/llama-3.3-70b-versatile", chat_body("flex"))
    model = aiwire.get_model("groq/llama-3.3-70b-versatile")
    assert msg.usage is not None
    assert msg.usage.cost.total == pytest.approx((1000 * model.cost.input + 100 * model.cost.output) / 1e6)
    assert json.loads(json.dumps(msg.provider_data)) == {"service_tier": "flex"}
