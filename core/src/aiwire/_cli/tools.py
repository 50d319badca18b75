"""The tools ``aiwire chat`` offers, each call run in a child process.

A tool call runs in ``python -m aiwire._cli.toolworker`` so that a runaway
tool (a huge power in C code, a hung socket) never blocks the event loop: the
child is killed when the time limit passes or the answer is cancelled
(Ctrl-C). Tools are the built-in ``calculate`` and ``current_time``, or any
Python function named as ``module:function``.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
import sys
import typing
from typing import Any

from aiwire.types import TextContent, Tool

__all__ = ["BUILTIN", "DEFAULT_TIMEOUT", "ProcessTool", "ToolSpecError", "resolve_tools"]

DEFAULT_TIMEOUT = 30.0
"""Seconds a tool call may run before it is stopped (``--tool-timeout``)."""


class ToolSpecError(ValueError):
    """A ``-T`` name that names no tool."""


def _builtin() -> dict[str, tuple[str, Tool]]:
    from aiwire._demo.tools import demo_tools

    return {t.definition.name: (f"aiwire._demo.tools:{t.definition.name}", t.definition) for t in demo_tools()}


BUILTIN = ("calculate", "current_time")

_JSON_TYPES: dict[type, str] = {int: "integer", float: "number", bool: "boolean", str: "string"}


def _from_function(target: str) -> Tool:
    module, _, name = target.partition(":")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m` does: modules in the current folder first
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ToolSpecError(f"cannot load tool {target!r} ({exc}); name a function as module:function") from None
    if not callable(fn):
        raise ToolSpecError(f"{target!r} is not a function; name a function as module:function")
    props: dict[str, Any] = {}
    required = []
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # an annotation that does not resolve: treat it as text
        hints = {}
    for pname, param in inspect.signature(fn).parameters.items():
        hint = hints.get(pname)
        props[pname] = {"type": _JSON_TYPES.get(hint, "string") if isinstance(hint, type) else "string"}
        if param.default is inspect.Parameter.empty:
            required.append(pname)
    return Tool(
        name=name,
        description=inspect.getdoc(fn) or f"the Python function {target}",
        parameters={"type": "object", "properties": props, "required": required},
    )


def resolve_tools(names: list[str], timeout: float) -> list[ProcessTool]:
    """Tools for the ``-T`` names, in order; unknown names raise :class:`ToolSpecError`."""
    if not names:
        return []  # without importing the demo tools
    builtin = _builtin()
    out: list[ProcessTool] = []
    for name in dict.fromkeys(names):
        if name in builtin:
            target, definition = builtin[name]
        elif ":" in name:
            target, definition = name, _from_function(name)
        else:
            raise ToolSpecError(
                f"unknown tool {name!r}; the built-in tools are {', '.join(BUILTIN)} "
                "(or name a Python function as module:function)"
            )
        out.append(ProcessTool(definition, target, timeout))
    return out


class ProcessTool:
    """An agent tool whose calls run in a child process with a time limit."""

    __slots__ = ("definition", "label", "target", "timeout")

    def __init__(self, definition: Tool, target: str, timeout: float) -> None:
        self.definition = definition
        self.label = definition.name
        self.target = target
        self.timeout = timeout

    async def execute(self, call_id: str, args: dict[str, Any], cancel: Any, on_update: Any) -> Any:
        from aiwire.agent import AgentToolResult

        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "aiwire._cli.toolworker",
            self.target,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p or os.getcwd() for p in sys.path)},
            start_new_session=True,  # Ctrl-C reaches aiwire, which decides; not the tool
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(json.dumps(args).encode()), self.timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"the {self.definition.name} tool ran longer than {self.timeout:g}s and was stopped "
                "(raise the limit with --tool-timeout)"
            ) from None
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        try:
            reply = json.loads(out)
        except ValueError:
            raise RuntimeError(f"the {self.definition.name} tool ended without a result") from None
        if "error" in reply:
            # Same name as in the child, so the model reads "ZeroDivisionError: ...".
            raise type(str(reply.get("type") or "ToolError"), (Exception,), {})(reply["error"])
        return AgentToolResult(content=[TextContent(text=str(reply["ok"]))])

    def __repr__(self) -> str:
        return f"ProcessTool({self.target!r}, timeout={self.timeout:g})"
