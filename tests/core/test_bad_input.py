"""Bad input at the public surface raises an aiwire error naming the problem
and the fix, never a plain Python error, and never at a later point as an
error event (issue 19, defect 8).

The reproductions come first, then a property test over the public
constructors and the call options of every entry point.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import aiwire
from aiwire import events as ev
from aiwire.errors import AiwireError, BadOptionsError, DecodeError, InvalidInputError, InvalidToolError
from aiwire.types import (
    AssistantMessage,
    Context,
    ImageContent,
    TextContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)

DEMO = "demo/aiwire-demo"


def deep_schema(depth: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "object", "properties": {"x": schema}}
    return schema


def with_tool(parameters: Any) -> Context:
    return Context(messages=[UserMessage(content="hi")], tools=[Tool(name="t", parameters=parameters)])


# -- constructors ------------------------------------------------------------------


def test_tool_result_with_a_string_content_names_the_fix() -> None:
    with pytest.raises(InvalidInputError, match=r"ToolResultMessage.content .*TextContent\(text=") as err:
        ToolResultMessage(tool_call_id="c1", tool_name="t", content="ok")  # type: ignore[arg-type]
    assert isinstance(err.value, TypeError) and isinstance(err.value, ValueError)  # what callers caught before


@pytest.mark.parametrize(
    ("build", "where"),
    [
        (lambda: UserMessage(content=123), "UserMessage.content"),
        (lambda: UserMessage(content=["hi"]), r"UserMessage.content\[0\]"),
        (lambda: ToolResultMessage(tool_call_id=1, tool_name="t"), "ToolResultMessage.tool_call_id"),
        (lambda: Tool(name=None), "Tool.name"),
        (lambda: Tool(name="t", parameters="{}"), "Tool.parameters"),
        (lambda: Context(messages="hi"), "Context.messages"),
        (lambda: Context(messages=["hi"]), r"Context.messages\[0\]"),
        (lambda: Context(tools=[None]), r"Context.tools\[0\]"),
        (lambda: Context(system_prompt=5), "Context.system_prompt"),
    ],
)
def test_constructors_check_what_is_cheap(build: Any, where: str) -> None:
    with pytest.raises(InvalidInputError, match=where):
        build()


def test_loading_bad_data_is_still_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        aiwire.loads(
            b'{"messages": [{"role": "tool_result", "tool_call_id": "c", "tool_name": "t", "content": "x"}]}', Context
        )
    with pytest.raises(DecodeError):
        aiwire.loads(b'{"messages": [{"role": "user", "content": 5}]}', Context)


# -- call setup --------------------------------------------------------------------


def test_deep_tool_schema_is_refused_with_the_path() -> None:
    with pytest.raises(InvalidToolError, match=r"tool 't': parameters nest more than 100 levels"):
        aiwire.complete_sync(DEMO, with_tool(deep_schema(3000)))
    assert aiwire.complete_sync(DEMO, with_tool(deep_schema(20))).stop_reason == "stop"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("timeout", 0, "timeout=0.0 is out of range"),
        ("timeout", -1, "seconds > 0, or None"),
        ("timeout", math.inf, "pass timeout=None"),
        ("idle_timeout", -5, "idle_timeout=-5.0 is out of range"),
        ("idle_timeout", math.nan, "not a number"),
        ("max_retries", -1, "max_retries=-1 is out of range"),
        ("max_retry_delay", -1, "max_retry_delay=-1.0 is out of range"),
        ("max_tokens", 0, "int >= 1"),
        ("temperature", -0.5, "temperature"),
        ("top_p", 1.5, "from 0 to 1"),
        ("thinking_budgets", {"high": -1}, "negative"),
        ("on_retry", 5, "on_retry must be a function"),
        ("transport", 5, "httpx transport"),
        ("transport", "curl", "not a transport aiwire knows"),
        ("provider_options", {"x": object()}, "cannot be sent as JSON"),
    ],
)
def test_options_are_range_checked_at_setup(option: str, value: Any, message: str) -> None:
    for call in (
        lambda: aiwire.complete_sync(DEMO, "hi", **{option: value}),
        lambda: aiwire.stream_sync(DEMO, "hi", **{option: value}),
        lambda: aiwire.stream(DEMO, "hi", **{option: value}),
    ):
        with pytest.raises(BadOptionsError, match=message):
            call()


@pytest.mark.parametrize(
    "options",
    [{"api_key": "sk-pasted\n"}, {"api_key": "sk-\u201cquoted\u201d"}, {"headers": {"x-note": "caf\u00e9"}}],
)
def test_headers_that_cannot_be_sent_are_refused_without_echoing_them(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError, match="cannot be sent in HTTP") as err:
        aiwire.complete_sync(DEMO, "hi", **options)
    assert "sk-" not in str(err.value) and "caf" not in str(err.value)


def test_numbers_given_as_strings_are_converted() -> None:
    msg = aiwire.complete_sync(DEMO, "hi", timeout="30", max_retries="1")
    assert msg.stop_reason == "stop", msg.error_message


def test_unserialisable_values_are_caught_at_setup_not_as_an_error_event() -> None:
    with pytest.raises(InvalidToolError, match=r"tool 't': parameters .*cannot be sent as JSON"):
        aiwire.stream_sync(DEMO, with_tool({"type": "object", "x": object()}))
    ctx = Context(messages=[AssistantMessage(content=[ToolCall(id="c", name="t", arguments={"when": object()})])])
    with pytest.raises(InvalidInputError, match="cannot be sent as JSON"):
        aiwire.stream_sync(DEMO, ctx)
    # A tool result's details stay local (never sent): anything goes there.
    ctx = Context(
        messages=[
            UserMessage(content="hi"),
            AssistantMessage(content=[ToolCall(id="c", name="t")], stop_reason="tool_use"),
            ToolResultMessage(tool_call_id="c", tool_name="t", content=[TextContent(text="ok")], details=object()),
        ]
    )
    assert aiwire.complete_sync(DEMO, ctx).stop_reason == "stop"


def test_fields_set_after_construction_are_checked_at_setup() -> None:
    msg = UserMessage(content="hi")
    msg.content = 123  # type: ignore[assignment]
    with pytest.raises(InvalidInputError, match=r"\$\.messages\[1\]\.content"):
        aiwire.complete_sync(DEMO, Context(messages=[UserMessage(content="ok"), msg]))
    with pytest.raises(InvalidInputError, match=r"text"):
        aiwire.complete_sync(DEMO, Context(messages=[UserMessage(content=[TextContent(text=None)])]))  # type: ignore[arg-type]


# -- the property ------------------------------------------------------------------

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=4),
    st.binary(max_size=3),
    st.just(object()),
    st.lists(st.one_of(st.integers(), st.text(max_size=2)), max_size=2),
    st.dictionaries(st.text(max_size=3), st.one_of(st.integers(), st.none(), st.just(object())), max_size=2),
)
blocks = st.one_of(
    st.builds(TextContent, text=st.one_of(st.text(max_size=5), junk)),
    st.builds(ImageContent, data=st.one_of(st.just("aGk="), junk), mime_type=st.just("image/png")),
    junk,
)
contents = st.one_of(st.text(max_size=5), st.lists(blocks, max_size=3), junk)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=3), st.just(object())),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=8,
)
schemas = st.one_of(
    st.just({"type": "object", "properties": {"a": {"type": "string"}}}),
    st.integers(0, 400).map(deep_schema),
    st.dictionaries(st.sampled_from(["type", "properties", "required", "items", "anyOf"]), json_values, max_size=3),
    junk,
)


def safe(build: Any) -> Any:
    """``build()``, or None if it raised an aiwire error (any other error fails the test)."""
    try:
        return build()
    except AiwireError:
        return None


@st.composite
def contexts(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["prompt", "context", "context", "context", "context", "dict", "junk"]))
    if kind == "prompt":
        return draw(st.text(min_size=1, max_size=5))
    if kind == "junk":
        return draw(junk)
    if kind == "dict":
        return {"messages": [{"role": draw(st.sampled_from(["user", "tool_result", "x"])), "content": draw(junk)}]}
    messages: list[Any] = []
    for _ in range(draw(st.integers(0, 3))):
        which = draw(st.sampled_from(["user", "result", "junk"]))
        if which == "user":
            content = draw(contents)
            messages.append(safe(lambda content=content: UserMessage(content=content)) or UserMessage(content="x"))
        elif which == "result":
            args = {
                "tool_call_id": draw(st.one_of(st.just("c1"), junk)),
                "tool_name": draw(st.one_of(st.just("t"), junk)),
                "content": draw(st.one_of(st.lists(blocks, max_size=2), junk)),
                "is_error": draw(st.one_of(st.booleans(), junk)),
            }
            messages.append(safe(lambda args=args: ToolResultMessage(**args)))
        else:
            messages.append(draw(junk))
    tools = []
    for _ in range(draw(st.integers(0, 2))):
        args = {
            "name": draw(st.one_of(st.sampled_from(["t", "lookup", "bad name"]), junk)),
            "description": draw(st.one_of(st.just(""), junk)),
            "parameters": draw(schemas),
        }
        tools.append(safe(lambda args=args: Tool(**args)))
    system = draw(st.one_of(st.none(), st.text(max_size=3), junk))
    built = safe(lambda: Context(system_prompt=system, messages=messages, tools=tools))
    if built is None:  # the constructor refused it: try the parts that were fine
        good = [m for m in messages if isinstance(m, (UserMessage, ToolResultMessage))]
        built = Context(messages=good or [UserMessage(content="x")], tools=[t for t in tools if isinstance(t, Tool)])
    if draw(st.booleans()):
        # Fields assigned after construction are not checked until the call.
        target = draw(st.sampled_from([built, *built.messages, *built.tools]))
        field = draw(st.sampled_from(sorted(f for f in target.__struct_fields__ if f not in ("timestamp", "details"))))
        setattr(target, field, draw(junk))
    return built


OPTION_VALUES: dict[str, Any] = {
    "max_tokens": st.one_of(st.integers(-3, 5000), junk),
    "temperature": st.one_of(st.floats(-1, 3), junk),
    "top_p": st.one_of(st.floats(-1, 2), junk),
    "stop": st.one_of(st.lists(st.text(max_size=3), max_size=2), junk),
    "reasoning": st.one_of(st.sampled_from(["off", "low", "high", "huge"]), junk),
    "thinking_budgets": st.one_of(st.dictionaries(st.sampled_from(["low", "high"]), st.integers(-5, 5000)), junk),
    "tool_choice": st.one_of(st.sampled_from(["auto", "none", "required", "t", "nope"]), junk),
    "cache_retention": st.one_of(st.sampled_from(["short", "long", "none", "forever"]), junk),
    "session_id": st.one_of(st.text(max_size=5), junk),
    "headers": st.one_of(st.dictionaries(st.sampled_from(["x-a", "x-b"]), st.text(max_size=3)), junk),
    "provider_options": st.one_of(st.dictionaries(st.text(max_size=3), json_values, max_size=2), junk),
    "timeout": st.one_of(st.floats(-1, 1000), junk),
    "idle_timeout": st.one_of(st.floats(-1, 1000), junk),
    "max_retries": st.one_of(st.integers(-2, 3), junk),
    "max_retry_delay": st.one_of(st.floats(-1, 100), junk),
    "on_retry": st.one_of(st.just(lambda *a: None), junk),
    "on_payload": st.one_of(st.just(lambda *a: None), junk),
    "on_response": st.one_of(st.just(lambda *a: None), junk),
    "transport": st.one_of(st.just("curl"), junk),  # a real transport would leave the offline demo
    "api_key": st.one_of(st.text(max_size=8), junk),
}


@st.composite
def options(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(OPTION_VALUES)), max_size=3, unique=True))
    return {name: draw(OPTION_VALUES[name]) for name in names}


def outcome_is_fine(message: AssistantMessage) -> None:
    # Setup problems raise: the offline demo never ends a call that was set up in an error.
    assert message.stop_reason != "error", message.error_message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    context=contexts(), opts=options(), entry=st.sampled_from(["complete_sync", "stream_sync", "stream", "complete"])
)
def test_no_bad_input_escapes_as_a_plain_python_error(context: Any, opts: dict[str, Any], entry: str) -> None:
    """Either the call works, or an AiwireError is raised at setup."""
    try:
        if entry == "complete_sync":
            outcome_is_fine(aiwire.complete_sync(DEMO, context, **opts))
        elif entry == "stream_sync":
            events = list(aiwire.stream_sync(DEMO, context, **opts))
            assert sum(isinstance(e, (ev.Done, ev.Error)) for e in events) == 1
            outcome_is_fine(events[-1].message)  # type: ignore[union-attr]
        else:

            async def run() -> AssistantMessage:
                if entry == "complete":
                    return await aiwire.complete(DEMO, context, **opts)
                s = aiwire.stream(DEMO, context, **opts)
                return await s.result()

            outcome_is_fine(asyncio.run(run()))
        event("worked")
    except AiwireError as exc:
        event(f"raised {type(exc).__name__}")


# -- clients, transports, typed tools and extract ----------------------------------


class _SyncOnly(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": {"message": "offline test transport"}})


class _AsyncOnly(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": {"message": "offline test transport"}})


@dataclasses.dataclass
class _Point:
    x: int
    y: int


class _Plain:
    pass


def _typed(a: int, b: str = "x") -> str:
    return b * a


def _untyped(a, b):  # type: ignore[no-untyped-def]
    return a


types_and_junk = st.one_of(
    st.sampled_from([_Point, _Plain, _typed, int, list[int], dict[str, int], {"type": "object"}, {"type": "string"}]),
    junk,
)
CLIENT_ARGS: dict[str, Any] = {
    "transport": st.one_of(st.sampled_from(["httpx", "curl"]), st.builds(_SyncOnly), st.builds(_AsyncOnly), junk),
    "http_client": st.one_of(st.sampled_from(["sync", "async"]), junk),
    "base_urls": st.one_of(st.dictionaries(st.sampled_from(["demo", "x"]), st.text(max_size=5), max_size=1), junk),
    "options": st.one_of(options(), junk),
    "plugins": st.one_of(st.lists(junk, max_size=1), st.none()),
}


@st.composite
def client_args(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(CLIENT_ARGS)), max_size=3, unique=True))
    return {name: draw(CLIENT_ARGS[name]) for name in names}


@pytest.mark.filterwarnings("ignore:aiwire plugin .* was not loaded:RuntimeWarning")  # junk given as plugins
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["Client", "AsyncClient"]),
    kwargs=client_args(),
    call=st.sampled_from(["complete", "stream", "extract", "tool", "function_tool"]),
    opts=options(),
    target=types_and_junk,
)
def test_no_bad_input_escapes_the_clients_tools_or_extract(
    kind: str, kwargs: dict[str, Any], call: str, opts: dict[str, Any], target: Any
) -> None:
    """Clients built with any arguments (a transport or httpx client of the
    wrong kind included), tools from any type, extract into any type: it works
    or an AiwireError is raised; no other exception escapes."""
    sync_http, async_http = httpx.Client(transport=_SyncOnly()), httpx.AsyncClient(transport=_AsyncOnly())
    kwargs = dict(kwargs)
    if kwargs.get("http_client") in ("sync", "async"):
        kwargs["http_client"] = sync_http if kwargs["http_client"] == "sync" else async_http
    try:
        if call == "tool":
            safe(lambda: Tool(name="t", parameters=target))
            return
        if call == "function_tool":
            from aiwire.agent import FunctionTool

            safe(lambda: FunctionTool(target))
            safe(lambda: FunctionTool(_untyped))
            return
        if kind == "Client":
            client = safe(lambda: aiwire.Client(**kwargs))
            if client is None:
                return
            with client:
                if call == "extract":
                    safe(lambda: client.extract(DEMO, "hi", target, retries=0, **opts))
                elif call == "stream":
                    safe(lambda: list(client.stream(DEMO, "hi", **opts)))
                else:
                    safe(lambda: client.complete(DEMO, "hi", **opts))
        else:

            async def run() -> None:
                client = safe(lambda: aiwire.AsyncClient(**kwargs))
                if client is None:
                    return
                async with client:
                    try:
                        if call == "extract":
                            await client.extract(DEMO, "hi", target, retries=0, **opts)
                        elif call == "stream":
                            await client.stream(DEMO, "hi", **opts).result()
                        else:
                            await client.complete(DEMO, "hi", **opts)
                    except AiwireError:
                        pass

            asyncio.run(run())
    finally:
        sync_http.close()
        asyncio.run(async_http.aclose())
