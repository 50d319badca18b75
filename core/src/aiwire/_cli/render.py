"""How ``aiwire chat`` shows a run: the answer alone on stdout; thinking,
tool traces, usage and notices on stderr (dimmed on a terminal unless
``NO_COLOR`` is set), and a spinner on a terminal's stderr while the model
has not answered yet, which also says when a retry is waiting and why."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any, TextIO

import msgspec

from aiwire import events as ev
from aiwire.agent import (
    AgentEvent,
    MessageEnd,
    MessageUpdate,
    ToolExecutionEnd,
    ToolExecutionStart,
    TurnStart,
)
from aiwire.types import AssistantMessage, TextContent, ThinkingContent, ToolCall, Usage

__all__ = ["JsonPrinter", "Printer", "Spinner", "usage_line"]

_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class Spinner:
    """A one-line spinner on a terminal; ``note`` replaces its label."""

    def __init__(self, err: TextIO, label: str) -> None:
        self.err = err
        self.label = label
        self.note = ""
        self._task: asyncio.Task[None] | None = None
        self._until = 0.0

    def start(self) -> None:
        if self._task is None:
            self.note = ""
            self._task = asyncio.ensure_future(self._spin())

    def retrying(self, attempt: int, delay: float, reason: str) -> None:
        self._until = time.monotonic() + delay
        self.note = f"retry {attempt} ({reason})"

    async def _spin(self) -> None:
        # stop() clears the line itself: by the time this task sees its
        # cancellation, other text may be on the line.
        n = 0
        while True:
            label = self.label
            if self.note:
                left = max(0.0, self._until - time.monotonic())
                label = f"{self.note}: waiting {left:.0f}s" if left >= 0.5 else self.note
            self.err.write(f"\r\033[2K{_FRAMES[n % len(_FRAMES)]} {label[:100]}")
            self.err.flush()
            n += 1
            await asyncio.sleep(0.08)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
            self.err.write("\r\033[2K")
            self.err.flush()


def usage_line(model: str, usage: Usage, seconds: float | None = None) -> str:
    parts = [f"{usage.input:,} in", f"{usage.output:,} out"]
    if usage.cache_read:
        parts.append(f"{usage.cache_read:,} cached")
    if usage.cost.total:
        parts.append(f"${usage.cost.total:.6f}")
    if seconds is not None:
        parts.append(f"{seconds:.1f}s")
    return f"[{model}: {', '.join(parts)}]"


class Printer:
    """Renders agent events for people (see the module docstring)."""

    def __init__(self, out: TextIO, err: TextIO, *, thinking: bool = True, spinner_label: str | None = None) -> None:
        self.out = out
        self.err = err
        self.thinking = thinking
        self.dim = err.isatty() and not os.environ.get("NO_COLOR")
        self.same_screen = out.isatty() and err.isatty()
        self.spinner = Spinner(err, spinner_label) if spinner_label and err.isatty() else None
        self.out_open = False  # stdout's last line is unfinished
        self.err_open = False
        self.out_gap = False  # something happened since the last answer text
        self.streamed = False  # the current assistant message came as deltas

    # -- writing -------------------------------------------------------------

    def answer(self, text: str) -> None:
        if not text:
            return
        self._stop_spinner()
        self._end_side_line()
        if self.out_gap and self.out_open:
            self.out.write("\n")
        self.out_gap = False
        self.out.write(text)
        self.out.flush()
        self.out_open = not text.endswith("\n")

    def side(self, text: str, *, dim: bool = True, start: bool = True) -> None:
        """Write ``text`` on stderr; ``start`` begins it on a fresh line."""
        self._stop_spinner()
        self.out_gap = True
        if self.same_screen and self.out_open:
            self.out.write("\n")
            self.out.flush()
            self.out_open = False
        if start:
            self._end_side_line()
        if dim and self.dim:
            body = text.rstrip("\n")
            text = f"\033[2m{body}\033[0m{text[len(body) :]}"  # reset before the line ends
        self.err.write(text)
        self.err.flush()
        self.err_open = not text.endswith("\n")

    def notice(self, text: str) -> None:
        self.side(text + "\n", dim=False)

    def _end_side_line(self) -> None:
        if self.err_open:
            self.err.write("\n")
            self.err_open = False

    def _start_spinner(self) -> None:
        if self.spinner is None:
            return
        if self.same_screen and self.out_open:  # the spinner's \r would overwrite the answer
            self.out.write("\n")
            self.out.flush()
            self.out_open = False
        self._end_side_line()
        self.spinner.start()

    def _stop_spinner(self) -> None:
        if self.spinner is not None:
            self.spinner.stop()

    def finish(self) -> None:
        self._stop_spinner()
        self._end_side_line()
        if self.out_open:
            self.out.write("\n")
            self.out.flush()
            self.out_open = False

    def on_retry(self, attempt: int, delay: float, reason: str) -> None:
        if self.spinner is not None:
            self.spinner.retrying(attempt, delay, reason)
            self._start_spinner()
        else:
            self.notice(f"[retry {attempt} in {delay:.1f}s: {reason}]")

    # -- events --------------------------------------------------------------

    def __call__(self, event: AgentEvent) -> None:
        if isinstance(event, MessageUpdate):
            self.stream_event(event.event)
        elif isinstance(event, TurnStart):
            self.streamed = False
            self._start_spinner()
        elif isinstance(event, MessageEnd) and isinstance(event.message, AssistantMessage):
            self.assistant_end(event.message)
        elif isinstance(event, ToolExecutionStart):
            self._stop_spinner()
        elif isinstance(event, ToolExecutionEnd):
            self.tool_end(event)

    def stream_event(self, e: ev.Event) -> None:
        if isinstance(e, ev.TextDelta):
            self.streamed = True
            self.answer(e.delta)
        elif isinstance(e, ev.ThinkingStart):
            self.streamed = True
            if self.thinking:
                self.side("[thinking] ")
        elif isinstance(e, ev.ThinkingDelta):
            if self.thinking:
                self.side(e.delta, start=False)
        elif isinstance(e, ev.ToolCallEnd):
            self.streamed = True
            self.tool_call(e.tool_call)

    def tool_call(self, call: ToolCall) -> None:
        args = msgspec.json.encode(call.arguments).decode()
        self.side(f"-> {call.name}({args})\n")

    def assistant_end(self, msg: AssistantMessage) -> None:
        if not self.streamed:  # --no-stream: the whole message at once
            for block in msg.content:
                if isinstance(block, ThinkingContent) and self.thinking and block.thinking:
                    self.side(f"[thinking] {block.thinking}\n")
                elif isinstance(block, TextContent):
                    self.answer(block.text)
                elif isinstance(block, ToolCall):
                    self.tool_call(block)
        self._stop_spinner()
        if msg.stop_reason == "aborted":
            self.side("[cancelled]\n", dim=False)
        elif msg.stop_reason == "error":
            self.side(f"error: {msg.error_message or msg.stop_reason}\n", dim=False)

    def tool_end(self, e: ToolExecutionEnd) -> None:
        text = "".join(c.text for c in e.result.content if isinstance(c, TextContent))
        mark = "!!" if e.is_error else "<-"
        self.side(f"{mark} {e.tool_name}: {text}\n")


class JsonPrinter:
    """One JSON line per agent event on stdout."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err
        self._enc = msgspec.json.Encoder()

    def __call__(self, event: Any) -> None:
        if isinstance(event, MessageUpdate) and isinstance(event.event, ev.ToolCallDelta):
            _ = event.event.arguments  # computed when read: bring the live value up to date first
        self.out.write(self._enc.encode(event).decode() + "\n")
        self.out.flush()

    def finish(self) -> None:
        pass

    def notice(self, text: str) -> None:
        self.err.write(text + "\n")
        self.err.flush()

    def on_retry(self, attempt: int, delay: float, reason: str) -> None:
        self.notice(f"[retry {attempt} in {delay:.1f}s: {reason}]")
