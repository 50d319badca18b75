"""One ``aiwire chat`` session: the model, options, tools and log of a run,
and :class:`Chat`, which sends prompts (one-shot or interactive)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiwire._cli.chat import MAX_TURNS, UsageError, option_values, pick_model
from aiwire.types import AssistantMessage, ImageContent, Model, Usage

__all__ = ["Chat", "load_images", "run"]


class _Whole:
    """``--no-stream``: the agent's stream interface over one ``complete`` call."""

    def __init__(self, client: Any, model: Model, context: Any, options: dict[str, Any]) -> None:
        self._call = (client, model, context, options)
        self._task: asyncio.Future[AssistantMessage] | None = None
        self._aborted = False
        self.message: AssistantMessage | None = None

    def abort(self) -> None:
        self._aborted = True
        if self._task is not None:
            self._task.cancel()

    def __aiter__(self) -> Any:
        return self._run()

    async def _run(self) -> Any:
        client, model, context, options = self._call
        self._task = asyncio.ensure_future(client.complete(model, context, **options))
        try:
            self.message = await self._task
        except asyncio.CancelledError:
            if not self._aborted:
                raise
            self.message = AssistantMessage(
                api=model.api, provider=model.provider, model=model.id, stop_reason="aborted", error_message="aborted"
            )
        return
        yield  # an async generator, so the agent can close it


def load_images(items: Sequence[str]) -> list[ImageContent]:
    """``-a`` files and URLs as image blocks; problems raise :class:`UsageError`."""
    if not items:
        return []
    import base64
    import mimetypes
    from pathlib import Path

    images = []
    for item in items:
        if item.startswith(("http://", "https://")):
            import httpx

            try:
                resp = httpx.get(item, follow_redirects=True, timeout=30)
                resp.raise_for_status()
            except httpx.HTTPError as exc:
                raise UsageError(f"attachment {item}: could not download it ({exc}); check the URL") from None
            data = resp.content
            mime = resp.headers.get("content-type", "").split(";")[0].strip() or mimetypes.guess_type(item)[0]
        else:
            path = Path(item).expanduser()
            if not path.is_file():
                raise UsageError(f"attachment {item!r} not found; give an image file path or an http(s) URL")
            data = path.read_bytes()
            mime = mimetypes.guess_type(path.name)[0]
        if not mime or not mime.startswith("image/"):
            raise UsageError(
                f"attachment {item}: {mime or 'unknown type'} is not an image; attach png, jpeg, gif or webp"
            )
        images.append(ImageContent(data=base64.b64encode(data).decode(), mime_type=mime))
    return images


def _add(total: Usage, u: Usage) -> Usage:
    from aiwire.types import Cost

    c, d = total.cost, u.cost
    return Usage(
        input=total.input + u.input,
        output=total.output + u.output,
        cache_read=total.cache_read + u.cache_read,
        cache_write=total.cache_write + u.cache_write,
        total=total.total + u.total,
        cost=Cost(
            input=c.input + d.input,
            output=c.output + d.output,
            cache_read=c.cache_read + d.cache_read,
            cache_write=c.cache_write + d.cache_write,
            total=c.total + d.total,
        ),
    )


class Chat:
    """A conversation: prompts go through the agent loop, each exchange is
    logged, and Ctrl-C during an answer cancels that answer only."""

    def __init__(
        self,
        model: Model,
        *,
        printer: Any,
        system: str | None,
        tools: list[Any],
        options: dict[str, Any],
        reasoning: Any,
        base_url: str | None,
        no_stream: bool,
        show_usage: bool,
        log: Any,
        cid: str | None,
        history: list[Any],
    ) -> None:
        import aiwire
        from aiwire.agent import Agent

        self.model = model
        self.printer = printer
        self.client = aiwire.AsyncClient(base_urls={model.provider: base_url} if base_url else None)
        self.no_stream = no_stream
        self.show_usage = show_usage
        self.log = log
        self.cid = cid
        self.system = system
        self._turns = 0
        self._first: float | None = None
        self._started = 0.0
        self.agent = Agent(
            model,
            system_prompt=system,
            tools=tools,
            messages=history,
            reasoning=reasoning,
            stream_options={**options, "on_retry": printer.on_retry},
            should_stop_after_turn=self._enough,
            stream=self._stream,
        )
        self.agent.subscribe(printer)
        self.agent.subscribe(self._first_token)

    def _enough(self, turn: Any) -> bool:
        self._turns += 1
        return self._turns >= MAX_TURNS

    def _first_token(self, event: Any) -> None:
        if self._first is None and event.type == "message_update":
            self._first = time.monotonic()

    def _stream(self, model: Model, context: Any, **options: Any) -> Any:
        if self.no_stream:
            return _Whole(self.client, model, context, options)
        return self.client.stream(model, context, **options)

    async def send(self, prompt: str, images: Sequence[ImageContent] = ()) -> AssistantMessage | None:
        """Run one exchange; Ctrl-C cancels it. Returns the last assistant message."""
        self._turns = 0
        self._first = None
        loop = asyncio.get_running_loop()
        self._started = started = time.monotonic()
        restore = _on_interrupt(loop, self.agent.abort)
        try:
            new = await self.agent.prompt(prompt, images)
        finally:
            restore()
            self.printer.finish()
        replies = [m for m in new if isinstance(m, AssistantMessage)]
        elapsed = time.monotonic() - started
        usage = Usage()
        for m in replies:
            if m.usage is not None:
                usage = _add(usage, m.usage)
        if self.show_usage and replies:
            from aiwire._cli.render import usage_line

            self.printer.notice(usage_line(self.agent.state.model.ref, usage, elapsed))
        if self.log is not None and new:
            self._record(prompt, new, usage, elapsed)
        return replies[-1] if replies else None

    def _record(self, prompt: str, new: list[Any], usage: Usage, elapsed: float) -> None:
        import sqlite3

        try:
            self.cid = self.log.record(
                self.cid,
                model=self.agent.state.model.ref,
                system=self.system,
                prompt=prompt,
                messages=new,
                usage=usage,
                duration=elapsed,
                first_token=None if self._first is None else self._first - self._started,
            )
        except (sqlite3.Error, OSError) as exc:  # a full disk or a lock held too long: the chat goes on
            self.printer.notice(f"aiwire: this exchange was not logged: {exc}")

    async def aclose(self) -> None:
        await self.client.aclose()


def _on_interrupt(loop: asyncio.AbstractEventLoop, cancel: Callable[[], None]) -> Callable[[], None]:
    """Make Ctrl-C call ``cancel`` until the returned function is called."""
    try:
        loop.add_signal_handler(signal.SIGINT, cancel)
    except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
        previous = signal.getsignal(signal.SIGINT)
        try:
            signal.signal(signal.SIGINT, lambda *_: loop.call_soon_threadsafe(cancel))
        except ValueError:
            return lambda: None

        def restore() -> None:
            signal.signal(signal.SIGINT, previous)

        return restore

    def remove() -> None:
        loop.remove_signal_handler(signal.SIGINT)

    return remove


def _exit_code(final: AssistantMessage | None) -> int:
    if final is None:
        return 1
    if final.stop_reason == "aborted":
        return 130
    return 0 if final.stop_reason in ("stop", "length", "tool_use") else 1


def run(args: argparse.Namespace, prompt: str, read_stdin: Callable[[], str]) -> int:
    """``aiwire chat`` after argument parsing."""
    from aiwire._cli.render import JsonPrinter, Printer

    interactive = not prompt and sys.stdin is not None and sys.stdin.isatty()
    if not interactive:
        piped = read_stdin()
        if piped.strip():
            prompt = f"{piped.rstrip()}\n\n{prompt}" if prompt else piped.strip()
        if not prompt:
            raise UsageError("give a prompt as arguments or on stdin (run it on a terminal for an interactive chat)")

    printer: Any
    if args.json:
        printer = JsonPrinter(sys.stdout, sys.stderr)
    else:
        printer = None  # made once the model is known (the spinner names it)

    def open_log(**kw: Any) -> Any:
        from aiwire._cli import log as chatlog

        return chatlog.open_log(printer.notice if printer else _err_notice, **kw)

    resume = args.continue_ or args.cid
    log: Any = open_log(enabled=not args.no_log) if resume else None if args.no_log else _LazyLog(open_log)
    history: list[Any] = []
    system = args.system
    cid = None
    ref = args.model
    try:
        if resume:
            from aiwire._cli import log as chatlog

            reader = log or chatlog.open_log(_err_notice, enabled=True, create=False)
            if reader is None:
                raise UsageError("there is no conversation log to continue from; start a conversation without -c")
            try:
                loaded = reader.load(args.cid)  # the latest when None
            except chatlog.LogError as exc:
                raise UsageError(str(exc)) from None
            finally:
                if reader is not log:
                    reader.close()
            cid, history = loaded.id, loaded.messages
            system = system if system is not None else loaded.system
            ref = ref or loaded.model
        model = pick_model(ref)
        if printer is None:
            printer = Printer(sys.stdout, sys.stderr, thinking=not args.no_thinking, spinner_label=f"{model.ref} ...")
        options = option_values(model, args.option)
        if args.max_tokens:
            options["max_tokens"] = args.max_tokens
        if args.key:
            options["api_key"] = args.key
        images = load_images(args.attach)
        if images and "image" not in model.input:
            raise UsageError(f"{model.ref} does not take images (its input is {', '.join(model.input)}); drop -a")
        tools = _tools(args, model)
        _check(model, prompt or "hi", options, args.base_url)
        if model.provider == "demo" and not args.json:
            from aiwire._demo.builtin import DEMO_NOTICE

            printer.notice(DEMO_NOTICE)
        return _drive(args, model, printer, prompt, images, tools, options, log, cid, system, history, interactive)
    finally:
        if log is not None:
            log.close()


def _err_notice(text: str) -> None:
    print(text, file=sys.stderr)


class _LazyLog:
    """The conversation log, opened at its first write: SQLite's import,
    connection and schema check need not delay the first request."""

    def __init__(self, open_log: Callable[..., Any]) -> None:
        self._open = open_log
        self._log: Any = None
        self._opened = False

    def record(self, cid: str | None, **kwargs: Any) -> str | None:
        if not self._opened:
            self._opened = True
            self._log = self._open(enabled=True)
        return cid if self._log is None else self._log.record(cid, **kwargs)

    def close(self) -> None:
        if self._log is not None:
            self._log.close()


def _tools(args: argparse.Namespace, model: Model) -> list[Any]:
    from aiwire._cli.tools import BUILTIN, DEFAULT_TIMEOUT, ToolSpecError, resolve_tools

    if args.tool_timeout is not None and not args.tool_timeout > 0:
        raise UsageError(f"--tool-timeout {args.tool_timeout:g}: give a number of seconds > 0")
    if args.no_tools:
        return []
    names = list(args.tool) or (list(BUILTIN) if model.provider == "demo" else [])
    timeout = DEFAULT_TIMEOUT if args.tool_timeout is None else args.tool_timeout
    try:
        return resolve_tools(names, timeout)
    except ToolSpecError as exc:
        raise UsageError(str(exc)) from None


def _check(model: Model, prompt: str, options: dict[str, Any], base_url: str | None) -> None:
    """Fail fast, with exit status 2, on setup problems (missing key, bad
    options) instead of letting the agent turn them into an error turn."""
    import msgspec

    from aiwire._engine.call import prepare

    if base_url:
        model = msgspec.structs.replace(model, base_url=base_url)
    prepare(model, prompt, options, observed=False)


def _drive(
    args: argparse.Namespace,
    model: Model,
    printer: Any,
    prompt: str,
    images: list[ImageContent],
    tools: list[Any],
    options: dict[str, Any],
    log: Any,
    cid: str | None,
    system: str | None,
    history: list[Any],
    interactive: bool,
) -> int:
    from aiwire._cli.main import setup_done

    setup_done()

    def make() -> Chat:
        return Chat(
            model,
            printer=printer,
            system=system,
            tools=tools,
            options=options,
            reasoning=args.thinking,
            base_url=args.base_url,
            no_stream=args.no_stream,
            show_usage=args.usage,
            log=log,
            cid=cid,
            history=history,
        )

    if interactive:
        from aiwire._cli.repl import repl

        return repl(make, images)

    async def once() -> int:
        chat = make()
        try:
            return _exit_code(await chat.send(prompt, images))
        finally:
            await chat.aclose()

    return asyncio.run(once())
