"""``aiwire chat``: run the agent loop on a prompt and stream it to the terminal."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any, TextIO

import msgspec

from aiwire import events as ev
from aiwire.agent import AgentEvent, MessageEnd, MessageUpdate, ToolExecutionEnd
from aiwire.errors import AiwireError
from aiwire.types import AssistantMessage, Model, TextContent

LEVELS = ("off", "minimal", "low", "medium", "high", "xhigh")
MAX_TURNS = 10


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aiwire chat",
        description="Stream a conversation with a model. Without -m and without any provider key, "
        "an offline demo model answers (it says so).",
    )
    p.add_argument("prompt", nargs="*", help="the prompt (read from stdin when omitted)")
    p.add_argument("-m", "--model", help="provider/model-id (default: $AIWIRE_MODEL, a configured provider, or demo)")
    p.add_argument("--system", help="system prompt")
    p.add_argument("--thinking", choices=LEVELS, help="reasoning level")
    p.add_argument("--max-tokens", type=int, help="maximum output tokens")
    p.add_argument("--json", action="store_true", help="print agent events as JSON lines")
    p.add_argument("--no-tools", action="store_true", help="offer no tools to the model")
    return p


def pick_model(ref: str | None) -> Model:
    """The model to use (see :func:`aiwire._api.models.choose_model`)."""
    from aiwire._api.models import choose_model

    return choose_model(ref)


class Printer:
    """Renders agent events: text plainly, thinking dimmed (or prefixed),
    tool calls and their results marked."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err
        self.color = out.isatty() and os.environ.get("NO_COLOR") is None
        self._kind = ""

    def _switch(self, kind: str) -> None:
        if self._kind and self._kind != kind:
            self.out.write("\n")
        if kind == "thinking" and self._kind != "thinking":
            self.out.write("\033[2m[thinking] " if self.color else "[thinking] ")
        if self._kind == "thinking" and kind != "thinking" and self.color:
            self.out.write("\033[0m")
        self._kind = kind

    def __call__(self, event: AgentEvent) -> None:
        if isinstance(event, MessageUpdate):
            self.stream_event(event.event)
        elif isinstance(event, MessageEnd) and isinstance(event.message, AssistantMessage):
            self.assistant_end(event.message)
        elif isinstance(event, ToolExecutionEnd):
            self.tool_end(event)

    def stream_event(self, e: ev.Event) -> None:
        if isinstance(e, ev.TextDelta):
            self._switch("text")
            self.out.write(e.delta)
        elif isinstance(e, ev.ThinkingDelta):
            self._switch("thinking")
            self.out.write(e.delta)
        elif isinstance(e, ev.ToolCallEnd):
            self._switch("tool")
            args = msgspec.json.encode(e.tool_call.arguments).decode()
            self.out.write(f"-> {e.tool_call.name}({args})")
        self.out.flush()

    def assistant_end(self, msg: AssistantMessage) -> None:
        self._switch("")
        self.out.flush()
        if msg.stop_reason in ("error", "aborted"):
            self.err.write(f"error: {msg.error_message or msg.stop_reason}\n")
        u = msg.usage
        if u is not None:
            cost = f", ${u.cost.total:.6f}" if u.cost.total else ""
            self.err.write(f"[{msg.provider}/{msg.model}: {u.input} in, {u.output} out{cost}]\n")

    def tool_end(self, e: ToolExecutionEnd) -> None:
        text = "".join(c.text for c in e.result.content if isinstance(c, TextContent))
        mark = "!!" if e.is_error else "<-"
        self.out.write(f"{mark} {e.tool_name}: {text}\n")
        self.out.flush()


class JsonPrinter:
    """One JSON line per agent event."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._enc = msgspec.json.Encoder()

    def __call__(self, event: AgentEvent) -> None:
        self.out.write(self._enc.encode(event).decode() + "\n")
        self.out.flush()


async def run_chat(
    model: Model, prompt: str, printer: Any, *, system: str | None, tools: bool, options: dict[str, Any]
) -> AssistantMessage | None:
    """Run the agent on ``prompt`` (at most MAX_TURNS model turns); returns
    the last assistant message."""
    from aiwire._demo.tools import demo_tools
    from aiwire.agent import Agent, TurnContext

    turns = 0

    def enough(turn: TurnContext) -> bool:
        nonlocal turns
        turns += 1
        return turns >= MAX_TURNS

    reasoning = options.pop("reasoning", None)
    agent = Agent(
        model,
        system_prompt=system,
        tools=demo_tools() if tools else [],
        reasoning=reasoning,
        stream_options=options,
        should_stop_after_turn=enough,
    )
    agent.subscribe(printer)
    new = await agent.prompt(prompt)
    replies = [m for m in new if isinstance(m, AssistantMessage)]
    return replies[-1] if replies else None


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    prompt = " ".join(args.prompt).strip()
    if not prompt:
        if sys.stdin.isatty():
            print("aiwire chat: give a prompt as arguments or on stdin", file=sys.stderr)
            return 2
        prompt = sys.stdin.read().strip()
        if not prompt:
            print("aiwire chat: the prompt on stdin was empty", file=sys.stderr)
            return 2
    try:
        model = pick_model(args.model)
    except AiwireError as exc:
        print(f"aiwire chat: {exc}", file=sys.stderr)
        return 2
    if model.provider == "demo" and not args.json:
        from aiwire._demo.builtin import DEMO_NOTICE

        print(DEMO_NOTICE, file=sys.stderr)
    options: dict[str, Any] = {}
    if args.thinking:
        options["reasoning"] = args.thinking
    if args.max_tokens:
        options["max_tokens"] = args.max_tokens
    try:
        # Fail fast, with exit code 2, on setup problems (missing key, bad
        # options) instead of letting the agent turn them into an error turn.
        from aiwire._engine.call import prepare

        prepare(model, prompt, options)
    except AiwireError as exc:
        print(f"aiwire chat: {exc}", file=sys.stderr)
        return 2
    printer = JsonPrinter(sys.stdout) if args.json else Printer(sys.stdout, sys.stderr)
    try:
        final = asyncio.run(
            run_chat(model, prompt, printer, system=args.system, tools=not args.no_tools, options=options)
        )
    except AiwireError as exc:
        print(f"aiwire chat: {exc}", file=sys.stderr)
        return 2
    return 0 if final is not None and final.stop_reason in ("stop", "length", "tool_use") else 1
