"""Event-sequence invariants on faux streams with random content and chunking."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aiwire
from aiwire import events as ev
from aiwire._demo.faux import FauxReply
from aiwire.testing import FauxProvider
from aiwire.types import TextContent, ThinkingContent, ToolCall, Usage

KIND = {
    ev.TextStart: ("text", "start"),
    ev.TextDelta: ("text", "delta"),
    ev.TextEnd: ("text", "end"),
    ev.ThinkingStart: ("thinking", "start"),
    ev.ThinkingDelta: ("thinking", "delta"),
    ev.ThinkingEnd: ("thinking", "end"),
    ev.ToolCallStart: ("tool", "start"),
    ev.ToolCallDelta: ("tool", "delta"),
    ev.ToolCallEnd: ("tool", "end"),
}


def check_invariants(events: Sequence[ev.Event]) -> None:
    """start first (if any), each block start..deltas..end once, one terminal event last."""
    assert events, "a stream must produce at least its terminal event"
    terminal = [i for i, e in enumerate(events) if isinstance(e, (ev.Done, ev.Error))]
    assert terminal == [len(events) - 1], f"terminal events at {terminal} of {len(events)}"
    starts = [i for i, e in enumerate(events) if isinstance(e, ev.Start)]
    assert starts in ([], [0])
    state: dict[int, str] = {}
    kinds: dict[int, str] = {}
    for e in events[len(starts) : -1]:
        kind, phase = KIND[type(e)]
        i = e.content_index  # type: ignore[union-attr]
        if phase == "start":
            assert i not in state, f"block {i} started twice"
            state[i], kinds[i] = "open", kind
        else:
            assert state.get(i) == "open", f"{phase} for block {i} that is not open"
            assert kinds[i] == kind
            if phase == "end":
                state[i] = "closed"
    assert all(s == "closed" for s in state.values()), "a block was never ended"
    final = events[-1].message  # type: ignore[union-attr]
    assert sorted(state) == list(range(len(state)))
    assert len(final.content) >= len(state)


blocks = st.lists(
    st.one_of(
        st.builds(TextContent, text=st.text(min_size=1, max_size=60)),
        st.builds(ThinkingContent, thinking=st.text(min_size=1, max_size=60)),
        st.builds(
            ToolCall,
            id=st.text("abc123", min_size=1, max_size=8),
            name=st.sampled_from(["f", "g"]),
            arguments=st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=10), max_size=3),
        ),
    ),
    max_size=5,
)
endings = st.sampled_from(["done", "error", "truncate"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=blocks, chunk=st.integers(1, 12), byte_chunk=st.integers(0, 40), ending=endings)
def test_faux_streams_keep_the_invariants(content: list, chunk: int, byte_chunk: int, ending: str) -> None:
    with FauxProvider() as faux:
        faux.reply(
            FauxReply(
                content=content,
                usage=Usage(input=3, output=4),
                chunk_size=chunk,
                byte_chunk=byte_chunk,
                error="boom" if ending == "error" else None,
                truncate=ending == "truncate",
            )
        )
        s = aiwire.stream_sync(faux.model, "hi")
        events = list(s)
    check_invariants(events)
    final = s.result()
    assert final.content == content
    if ending == "done":
        assert isinstance(events[-1], ev.Done)
        assert final.stop_reason == ("tool_use" if any(isinstance(b, ToolCall) for b in content) else "stop")
    else:
        assert isinstance(events[-1], ev.Error) and final.stop_reason == "error"
        assert final.error_message
    assert final.usage is not None and final.usage.total == 7


async def test_async_and_sync_streams_agree(faux: FauxProvider) -> None:
    reply = [
        ThinkingContent(thinking="hmm"),
        TextContent(text="hello world"),
        ToolCall(id="c1", name="f", arguments={"a": [1, 2]}),
    ]
    faux.reply(*reply, chunk_size=3, byte_chunk=7)
    faux.reply(*reply, chunk_size=3, byte_chunk=7)
    s = aiwire.stream(faux.model, "hi")
    async_events = [e async for e in s]
    sync_events = list(aiwire.stream_sync(faux.model, "hi"))
    strip = lambda es: [aiwire.dumps(e) for e in es if not isinstance(e, (ev.Start, ev.Done))]  # noqa: E731
    assert strip(async_events) == strip(sync_events)
    check_invariants(async_events)
    deltas = [e for e in async_events if isinstance(e, ev.ToolCallDelta)]
    assert deltas[-1].arguments == {"a": [1, 2]}
    assert "".join(d.delta for d in deltas) == '{"a":[1,2]}'
