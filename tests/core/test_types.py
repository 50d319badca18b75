"""Every type round-trips through JSON unchanged; bad data gets a clear error."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import aiwire
from aiwire.errors import DecodeError
from aiwire.types import (
    AssistantMessage,
    Context,
    Cost,
    ImageContent,
    Message,
    Model,
    ModelCost,
    ProviderContent,
    TextContent,
    ThinkingContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    Usage,
    UserMessage,
)

text = st.text(max_size=40)
json_scalar = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text
json_value = st.recursive(
    json_scalar, lambda c: st.lists(c, max_size=3) | st.dictionaries(text, c, max_size=3), max_leaves=8
)
args = st.dictionaries(text, json_value, max_size=4)
opt_text = st.none() | text

text_blocks = st.builds(TextContent, text=text, signature=opt_text)
thinking_blocks = st.builds(ThinkingContent, thinking=text, signature=opt_text, redacted=st.booleans())
image_blocks = st.builds(
    ImageContent,
    data=st.text("abcdef0123456789+/=", max_size=20),
    mime_type=st.sampled_from(["image/png", "image/jpeg"]),
)
tool_calls = st.builds(ToolCall, id=text, name=text, arguments=args, invalid_arguments=opt_text, signature=opt_text)
provider_blocks = st.builds(ProviderContent, api=text, kind=text, data=args, text=opt_text)
counts = st.integers(0, 10**9)
usages = st.builds(
    Usage,
    input=counts,
    output=counts,
    cache_read=counts,
    cache_write=counts,
    total=counts,
    reasoning=st.none() | counts,
    cost=st.builds(Cost, input=st.floats(0, 1e6), output=st.floats(0, 1e6), total=st.floats(0, 1e6)),
)
user_messages = st.builds(
    UserMessage, content=text | st.lists(text_blocks | image_blocks, max_size=3), timestamp=counts
)
assistant_messages = st.builds(
    AssistantMessage,
    content=st.lists(text_blocks | thinking_blocks | tool_calls | provider_blocks, max_size=4),
    api=text,
    provider=text,
    model=text,
    id=opt_text,
    usage=st.none() | usages,
    stop_reason=st.sampled_from(["stop", "length", "tool_use", "error", "aborted"]),
    error_message=opt_text,
    error_status=st.none() | st.integers(100, 599),
    error_type=opt_text,
    provider_data=st.none() | args,
    timestamp=counts,
)
tool_results = st.builds(
    ToolResultMessage,
    tool_call_id=text,
    tool_name=text,
    content=st.lists(text_blocks | image_blocks, max_size=3),
    is_error=st.booleans(),
    details=json_value,
    timestamp=counts,
)
messages = user_messages | assistant_messages | tool_results
tools = st.builds(
    Tool, name=text, description=text, parameters=st.just({"type": "object", "properties": {"a": {"type": "string"}}})
)
contexts = st.builds(
    Context, system_prompt=opt_text, messages=st.lists(messages, max_size=5), tools=st.lists(tools, max_size=2)
)
models = st.builds(
    Model,
    id=text,
    provider=text,
    api=text,
    base_url=text,
    name=text,
    reasoning=st.booleans(),
    input=st.sampled_from([("text",), ("text", "image")]),
    cost=st.builds(ModelCost, input=st.floats(0, 100), output=st.floats(0, 100)),
    context_window=counts,
    max_tokens=counts,
    headers=st.dictionaries(text, text, max_size=2),
    compat=args,
)


@given(contexts)
def test_context_round_trips(ctx: Context) -> None:
    assert aiwire.loads(aiwire.dumps(ctx), Context) == ctx


@given(st.lists(messages, max_size=6))
def test_message_lists_round_trip(items: list[Message]) -> None:
    assert aiwire.loads(aiwire.dumps(items), list[Message]) == items


@given(models)
def test_models_round_trip(model: Model) -> None:
    assert aiwire.loads(aiwire.dumps(model), Model) == model


@given(assistant_messages)
def test_assistant_message_round_trips_with_everything(msg: AssistantMessage) -> None:
    again = aiwire.loads(aiwire.dumps(msg), AssistantMessage)
    assert again == msg
    assert again.text == msg.text


def test_tags_and_class_attributes() -> None:
    data = msgspec.json.decode(aiwire.dumps(UserMessage(content=[TextContent(text="hi")])))
    assert data["role"] == "user" and data["content"][0]["type"] == "text"
    assert UserMessage.role == "user" and ToolCall.type == "tool_call"


def test_loads_names_the_bad_path() -> None:
    with pytest.raises(DecodeError, match=r"\$\.messages\[0\]"):
        aiwire.loads(b'{"messages": [{"role": "robot", "content": "x"}]}', Context)
    with pytest.raises(DecodeError, match="not valid JSON"):
        aiwire.loads(b"{nope", Context)


def test_message_helpers() -> None:
    msg = AssistantMessage(
        content=[
            ThinkingContent(thinking="a"),
            TextContent(text="b"),
            ToolCall(id="1", name="f"),
            TextContent(text="c"),
        ]
    )
    assert msg.text == "bc" and msg.thinking == "a" and [c.name for c in msg.tool_calls] == ["f"]
    assert msg.raise_for_error() is msg
    failed = AssistantMessage(stop_reason="error", error_message="boom", error_status=500, provider="p", model="m")
    with pytest.raises(aiwire.errors.ProviderError, match="p/m: HTTP 500: boom"):
        failed.raise_for_error()


def test_model_ref() -> None:
    assert Model(id="x/y", provider="p", api="a", base_url="u").ref == "p/x/y"
