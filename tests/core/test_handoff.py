from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aiwire
from aiwire._plugins import registry as _plugins
from aiwire._wire.codec import (
    CODEC_OPTIONS,
    BaseCodec,
    Credentials,
    Options,
    is_embedding_codec,
    is_image_codec,
    normalize_tool_call_id,
)
from aiwire.handoff import IMAGE_PLACEHOLDER, NO_RESULT, sanitize_text, transform_context
from aiwire.types import (
    AssistantMessage,
    Context,
    ImageContent,
    Model,
    ProviderContent,
    TextContent,
    ThinkingContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)

TARGET = Model(id="m1", provider="p1", api="faux", base_url="http://x", input=("text",))


class ShortIds(BaseCodec):
    """A codec whose ids are 9 alphanumerics, like Mistral's: truncation would collide."""

    api = "short"
    supported_options = CODEC_OPTIONS

    def tool_call_id(self, id: str) -> str:
        return "".join(c for c in id if c.isalnum())[:9]


def assistant(*content: Any, provider: str = "p1", api: str = "faux", model: str = "m1", stop: str = "stop") -> Any:
    return AssistantMessage(content=list(content), provider=provider, api=api, model=model, stop_reason=stop)


def result(id: str, text: str = "ok", name: str = "f") -> ToolResultMessage:
    return ToolResultMessage(tool_call_id=id, tool_name=name, content=[TextContent(text=text)])


def roles(ctx: Context) -> list[str]:
    return [type(m).__name__ for m in ctx.messages]


def test_same_model_keeps_thinking_and_signatures() -> None:
    msg = assistant(
        ThinkingContent(thinking="hmm", signature="sig"),
        ThinkingContent(thinking="", signature="encrypted", redacted=True),
        TextContent(text="hi", signature="t1"),
        ToolCall(id="c1", name="f", signature="ts"),
    )
    out = transform_context(Context(messages=[msg, result("c1")]), TARGET)
    assert out.messages[0] is msg  # unchanged messages are reused


def test_other_model_thinking_becomes_text_signatures_dropped() -> None:
    msg = assistant(
        ThinkingContent(thinking="reasoning", signature="sig"),
        ThinkingContent(thinking="", signature="x"),
        ThinkingContent(thinking="secret", redacted=True),
        TextContent(text="answer", signature="t1", citations=[{"url": "u"}]),
        ToolCall(id="c1", name="f", signature="gemini-sig"),
        model="other-model",
    )
    out = transform_context(Context(messages=[msg, result("c1")]), TARGET)
    content = out.messages[0].content  # type: ignore[union-attr]
    assert content == [
        TextContent(text="reasoning"),
        TextContent(text="answer"),
        ToolCall(id="c1", name="f"),
    ]


@pytest.mark.parametrize("field", ["provider", "api", "model"])
def test_same_means_provider_api_and_model(field: str) -> None:
    kw = {"provider": "p1", "api": "faux", "model": "m1", field: "else"}
    msg = assistant(ThinkingContent(thinking="t", signature="s"), **kw)
    out = transform_context(Context(messages=[msg]), TARGET)
    assert out.messages[0].content == [TextContent(text="t")]  # type: ignore[union-attr]


def test_errored_and_aborted_turns_are_dropped() -> None:
    ctx = Context(
        messages=[
            UserMessage(content="a"),
            assistant(TextContent(text="half"), stop="aborted"),
            UserMessage(content="b"),
            assistant(TextContent(text="boom"), ToolCall(id="x", name="f"), stop="error"),
            result("x", "late result"),
            UserMessage(content="c"),
        ]
    )
    out = transform_context(ctx, TARGET)
    assert roles(out) == ["UserMessage", "UserMessage", "UserMessage", "UserMessage"]
    # the result of a dropped call is kept as user text
    assert out.messages[2].content[1] == TextContent(text="late result")  # type: ignore[index]


def test_missing_results_get_a_synthetic_error_before_the_next_turn() -> None:
    ctx = Context(
        messages=[
            UserMessage(content="go"),
            assistant(ToolCall(id="a", name="f"), ToolCall(id="b", name="g")),
            result("b", "B"),
            UserMessage(content="next"),
            assistant(ToolCall(id="c", name="h")),
        ]
    )
    out = transform_context(ctx, TARGET)
    msgs = out.messages
    assert roles(out) == [
        "UserMessage",
        "AssistantMessage",
        "ToolResultMessage",
        "ToolResultMessage",
        "UserMessage",
        "AssistantMessage",
        "ToolResultMessage",
    ]
    synthetic = msgs[3]
    assert isinstance(synthetic, ToolResultMessage)
    assert synthetic.tool_call_id == "a" and synthetic.is_error and synthetic.content == [TextContent(text=NO_RESULT)]
    assert isinstance(msgs[6], ToolResultMessage) and msgs[6].tool_name == "h"


def test_ids_are_normalised_collision_free_and_results_follow() -> None:
    ids = ["call|1", "call|2", "", "x" * 100, "call_1"]
    msg = assistant(*(ToolCall(id=i, name="f") for i in ids), model="other")
    ctx = Context(messages=[msg, *(result(i, f"r{n}") for n, i in enumerate(ids))])
    for codec in (BaseCodec(), ShortIds()):
        out = transform_context(ctx, TARGET, codec)
        calls = out.messages[0].tool_calls  # type: ignore[union-attr]
        sent = [c.id for c in calls]
        assert len(set(sent)) == len(ids) and all(sent)
        assert all(codec.tool_call_id(s) == s for s in sent)  # the target accepts them as they are
        results = out.messages[1:]
        assert [r.tool_call_id for r in results] == sent  # type: ignore[union-attr]
        assert [r.content[0].text for r in results] == [f"r{n}" for n in range(len(ids))]  # type: ignore[union-attr]


def test_a_reused_id_in_a_later_turn_gets_a_new_one() -> None:
    ctx = Context(
        messages=[
            assistant(ToolCall(id="call_0", name="f")),
            result("call_0", "first"),
            assistant(ToolCall(id="call_0", name="f")),
            result("call_0", "second"),
        ]
    )
    out = transform_context(ctx, TARGET)
    first, second = out.messages[0].tool_calls[0].id, out.messages[2].tool_calls[0].id  # type: ignore[union-attr]
    assert first == "call_0" and second != first
    assert out.messages[3].tool_call_id == second  # type: ignore[union-attr]


def test_images_to_a_text_only_model_become_placeholders() -> None:
    img = ImageContent(data="aGk=", mime_type="image/png")
    ctx = Context(
        messages=[
            UserMessage(content=[TextContent(text="look"), img]),
            assistant(ToolCall(id="c", name="shot")),
            ToolResultMessage(tool_call_id="c", tool_name="shot", content=[img]),
        ]
    )
    out = transform_context(ctx, TARGET)
    assert out.messages[0].content == [TextContent(text="look"), TextContent(text=IMAGE_PLACEHOLDER)]  # type: ignore[union-attr]
    assert out.messages[2].content == [TextContent(text=IMAGE_PLACEHOLDER)]  # type: ignore[union-attr]
    vision = msgspec.structs.replace(TARGET, input=("text", "image"))
    assert transform_context(ctx, vision).messages[0] is ctx.messages[0]


def test_unpaired_surrogates_are_removed_everywhere() -> None:
    bad = "a\ud800b\udc00c"
    pair = "\ud83d\ude00"  # a surrogate pair left as two code points
    ctx = Context(
        system_prompt=bad,
        messages=[
            UserMessage(content=bad + pair),
            assistant(TextContent(text=bad), ToolCall(id="c", name="f", arguments={bad: [bad]}), model="o"),
            result("c", bad),
        ],
        tools=[Tool(name="f", description=bad)],
    )
    out = transform_context(ctx, TARGET)
    assert out.system_prompt == "abc"
    assert out.messages[0].content == "abc\U0001f600"  # type: ignore[union-attr]
    assert out.messages[1].content[1].arguments == {"abc": ["abc"]}  # type: ignore[union-attr]
    assert out.tools[0].description == "abc"
    msgspec.json.encode(out)  # would raise on a lone surrogate
    assert sanitize_text("plain") == "plain"


def test_provider_blocks_only_for_their_api() -> None:
    blocks = [
        ProviderContent(api="faux", kind="server_tool", data={"a": 1}),
        ProviderContent(api="other", kind="search", data={"b": 2}, text="search results"),
        ProviderContent(api="other", kind="opaque"),
    ]
    out = transform_context(Context(messages=[assistant(*blocks, api="other")]), TARGET)
    assert out.messages[0].content == [blocks[0], TextContent(text="search results")]  # type: ignore[union-attr]


def test_empty_assistant_turns_disappear() -> None:
    ctx = Context(
        messages=[UserMessage(content="q"), assistant(ThinkingContent(thinking="x", redacted=True), model="o")]
    )
    assert roles(transform_context(ctx, TARGET)) == ["UserMessage"]


# -- property: every pair of registered apis ------------------------------------------------

_ID = st.text(alphabet=st.sampled_from("abcXYZ019_-|.:/ #é"), max_size=80)
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc",)), max_size=20) | st.sampled_from(
    ["a\ud800", "\udfffz", "\ud83d\ude00"]
)


def _message_strategy(apis: list[str]) -> st.SearchStrategy[Any]:
    origin = st.tuples(st.sampled_from(["p1", "p2"]), st.sampled_from(apis), st.sampled_from(["m1", "m2"]))
    user_block = st.one_of(
        st.builds(TextContent, text=_TEXT), st.just(ImageContent(data="aGk=", mime_type="image/png"))
    )
    user = st.builds(UserMessage, content=_TEXT | st.lists(user_block, max_size=3))

    @st.composite
    def assistant_turn(draw: Any) -> list[Any]:
        provider, api, model = draw(origin)
        blocks: list[Any] = draw(
            st.lists(
                st.one_of(
                    st.builds(TextContent, text=_TEXT, signature=st.none() | st.just("sig")),
                    st.builds(
                        ThinkingContent,
                        thinking=_TEXT,
                        signature=st.none() | st.just("sig"),
                        redacted=st.booleans(),
                    ),
                    st.builds(ToolCall, id=_ID, name=st.just("f"), arguments=st.dictionaries(_TEXT, _TEXT, max_size=2)),
                    st.builds(ProviderContent, api=st.sampled_from(apis), kind=st.just("k"), text=st.none() | _TEXT),
                ),
                max_size=4,
            )
        )
        stop = draw(st.sampled_from(["stop", "stop", "tool_use", "error", "aborted", "length"]))
        msg = AssistantMessage(content=blocks, provider=provider, api=api, model=model, stop_reason=stop)
        turn: list[Any] = [msg]
        for b in blocks:
            if isinstance(b, ToolCall) and draw(st.integers(0, 3)):
                turn.append(
                    ToolResultMessage(
                        tool_call_id=b.id,
                        tool_name=b.name,
                        content=draw(st.lists(user_block, max_size=2)),
                        is_error=draw(st.booleans()),
                    )
                )
        if draw(st.integers(0, 5)) == 0:  # a stray result whose call is not in this turn
            turn.append(result(draw(_ID), draw(_TEXT)))
        return turn

    return st.lists(st.one_of(user.map(lambda u: [u]), assistant_turn()), max_size=6).map(
        lambda turns: [m for t in turns for m in t]
    )


def _target(api: str, images: bool) -> Model:
    reg = _plugins.get_registry()
    base = next((m for m in reg.models.values() if m.api == api), None)
    if base is None:
        base = aiwire.custom_model("target", api=api, base_url="http://127.0.0.1:9")
    return msgspec.structs.replace(base, input=("text", "image") if images else ("text",))


def _texts(blocks: Any) -> list[str]:
    if isinstance(blocks, str):
        return [blocks]
    return [b.text for b in blocks if isinstance(b, TextContent)]


def _all_text(ctx: Context) -> str:
    parts = []
    for m in ctx.messages:
        if isinstance(m, (UserMessage, ToolResultMessage)):
            parts += _texts(m.content)
    return "\x00".join(parts)


def _check(ctx: Context, target: Model) -> None:
    codec = _plugins.get_registry().codec(target.api)
    before = copy.deepcopy(ctx)
    out = transform_context(ctx, target, codec)
    assert ctx == before  # nothing the caller passed was modified
    sent = _all_text(out)
    for m in ctx.messages:
        if isinstance(m, (UserMessage, ToolResultMessage)):
            for t in _texts(m.content):
                assert sanitize_text(t) in sent
    pending: set[str] = set()
    seen_ids: set[str] = set()
    for m in out.messages:
        if isinstance(m, ToolResultMessage):
            assert m.tool_call_id in pending
            pending.discard(m.tool_call_id)
            continue
        assert not pending, "a call was left without a result"
        if isinstance(m, AssistantMessage):
            assert m.stop_reason not in ("error", "aborted") and m.content
            for c in m.tool_calls:
                assert c.id and codec.tool_call_id(c.id) == c.id and c.id not in seen_ids
                seen_ids.add(c.id)
                pending.add(c.id)
        if "image" not in target.input:
            assert not any(isinstance(b, ImageContent) for b in (m.content if isinstance(m.content, list) else []))
    # extra: what subscription codecs (Cloud Code Assist) read from a login.
    req = codec.build_request(target, out, Options(), Credentials("test-key", extra={"project_id": "p"}))
    msgspec.json.encode(req.json)  # encodable: no lone surrogates survived


def _api_pairs() -> list[tuple[str, str]]:
    """Every pair of chat apis (image-generation apis take no conversation)."""
    _plugins.reset()
    reg = _plugins.get_registry()
    apis = sorted(a for a in reg.apis if not (is_image_codec(reg.codec(a)) or is_embedding_codec(reg.codec(a))))
    return [(a, b) for a in apis for b in apis]


@pytest.mark.parametrize(("source", "target"), _api_pairs())
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), images=st.booleans())
def test_handoff_between_every_pair_of_apis(source: str, target: str, data: Any, images: bool) -> None:
    apis = sorted({source, target})
    messages = data.draw(_message_strategy(apis))
    _check(Context(system_prompt="sys", messages=messages), _target(target, images))


def test_default_normaliser_never_empty() -> None:
    assert normalize_tool_call_id("")
    assert normalize_tool_call_id("a|b") != normalize_tool_call_id("a_b")
