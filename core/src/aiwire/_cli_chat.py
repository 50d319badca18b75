"""``aiwire chat``: stream a tool-using conversation to the terminal."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any, TextIO

import msgspec

from . import events as ev
from .errors import AiwireError
from .types import AssistantMessage, Context, Model, TextContent, ToolResultMessage, UserMessage

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
    p.add_argument("--json", action="store_true", help="print events as JSON lines")
    p.add_argument("--no-tools", action="store_true", help="offer no tools to the model")
    return p


def pick_model(ref: str | None) -> Model:
    """The model to use: ``-m``, then ``$AIWIRE_MODEL``, then the first
    provider with a key set that declares a default model, then the demo."""
    import aiwire

    ref = ref or os.environ.get("AIWIRE_MODEL")
    if ref:
        return aiwire.get_model(ref)
    for spec in aiwire.providers():
        if spec.default_model and any(os.environ.get(v) for v in spec.env):
            return aiwire.get_model(spec.id, spec.default_model)
    return aiwire.get_model("demo", "aiwire-demo")


class Printer:
    """Renders events: text plainly, thinking dimmed (or prefixed), tool calls marked."""

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

    def event(self, e: ev.Event) -> None:
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
        elif isinstance(e, (ev.Done, ev.Error)):
            self._switch("")
            if isinstance(e, ev.Error):
                self.err.write(f"error: {e.message.error_message}\n")
        self.out.flush()

    def tool_result(self, result: ToolResultMessage) -> None:
        text = "".join(c.text for c in result.content if isinstance(c, TextContent))
        mark = "!!" if result.is_error else "<-"
        self.out.write(f"{mark} {result.tool_name}: {text}\n")
        self.out.flush()

    def usage(self, msg: AssistantMessage) -> None:
        u = msg.usage
        if u is not None:
            cost = f", ${u.cost.total:.6f}" if u.cost.total else ""
            self.err.write(f"[{msg.provider}/{msg.model}: {u.input} in, {u.output} out{cost}]\n")


class JsonPrinter:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._enc = msgspec.json.Encoder()

    def event(self, e: ev.Event) -> None:
        self.out.write(self._enc.encode(e).decode() + "\n")
        self.out.flush()

    def tool_result(self, result: ToolResultMessage) -> None:
        self.out.write(self._enc.encode({"type": "tool_result", "message": result}).decode() + "\n")

    def usage(self, msg: AssistantMessage) -> None:
        pass


async def run_chat(model: Model, context: Context, printer: Any, options: dict[str, Any]) -> AssistantMessage:
    """Run turns until the model stops asking for tools (at most MAX_TURNS)."""
    import aiwire

    from ._demo_tools import run_demo_tool

    for _ in range(MAX_TURNS):
        stream = aiwire.stream(model, context, **options)
        async for event in stream:
            printer.event(event)
        message = await stream
        context.messages.append(message)
        printer.usage(message)
        if message.stop_reason != "tool_use":
            return message
        for call in message.tool_calls:
            output, failed = run_demo_tool(call.name, call.arguments)
            result = ToolResultMessage(
                tool_call_id=call.id, tool_name=call.name, content=[TextContent(text=output)], is_error=failed
            )
            context.messages.append(result)
            printer.tool_result(result)
    return message


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
    from ._demo_tools import DEMO_TOOLS

    try:
        model = pick_model(args.model)
    except AiwireError as exc:
        print(f"aiwire chat: {exc}", file=sys.stderr)
        return 2
    if model.provider == "demo" and not args.json:
        from ._builtin import DEMO_NOTICE

        print(DEMO_NOTICE, file=sys.stderr)
    context = Context(
        system_prompt=args.system,
        messages=[UserMessage(content=prompt)],
        tools=[] if args.no_tools else list(DEMO_TOOLS),
    )
    options: dict[str, Any] = {}
    if args.thinking:
        options["reasoning"] = args.thinking
    if args.max_tokens:
        options["max_tokens"] = args.max_tokens
    printer = JsonPrinter(sys.stdout) if args.json else Printer(sys.stdout, sys.stderr)
    try:
        final = asyncio.run(run_chat(model, context, printer, options))
    except AiwireError as exc:
        print(f"aiwire chat: {exc}", file=sys.stderr)
        return 2
    return 0 if final.stop_reason in ("stop", "length", "tool_use") else 1
