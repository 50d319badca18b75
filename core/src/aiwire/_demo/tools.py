"""The small, safe tool set of ``aiwire chat``: arithmetic and the clock, as agent tools."""

from __future__ import annotations

import ast
import datetime as _dt
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiwire.agent import FunctionTool

__all__ = ["calculate", "current_time", "demo_tools"]

_OPS: dict[type[ast.AST], Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


MAX_BITS = 10_000
"""Largest integer (in bits, about 3,000 digits) the calculator computes or
returns: sizes are checked before each multiplication and power, so
``((10**999)**999)**999`` is refused at once instead of running for hours."""


def _too_big(what: str) -> ValueError:
    return ValueError(f"{what} would exceed {MAX_BITS:,} bits (about 3,000 digits); use smaller numbers")


def _check_size(op: ast.operator, left: float | int, right: float | int) -> None:
    if not (isinstance(left, int) and isinstance(right, int)):
        return  # float arithmetic is bounded: it overflows to an error or inf
    if isinstance(op, ast.Pow):
        if right > MAX_BITS or (right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_BITS):
            raise _too_big(f"{left if left.bit_length() < 64 else 'a large number'} ** {right}")
    elif isinstance(op, ast.Mult) and left.bit_length() + right.bit_length() > MAX_BITS + 1:
        raise _too_big("the product")


def _eval(node: ast.AST) -> float | int:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _eval(node.left), _eval(node.right)
        _check_size(node.op, left, right)
        result: float | int = _OPS[type(node.op)](left, right)
        if isinstance(result, int) and result.bit_length() > MAX_BITS:
            raise _too_big("the result")
        return result
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        value: float | int = _OPS[type(node.op)](_eval(node.operand))
        return value
    raise ValueError(f"unsupported expression element: {type(node).__name__}")


def calculate(expression: str) -> str:
    """Evaluate arithmetic (+ - * / // % ** and parentheses) without eval()."""
    if len(expression) > 200:
        raise ValueError("expression longer than 200 characters")
    value = _eval(ast.parse(expression.replace("^", "**"), mode="eval"))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def current_time(timezone: str = "UTC") -> str:
    """The current date and time in UTC (ISO 8601)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


async def _calculate(expression: str) -> str:
    return calculate(expression)


async def _current_time() -> str:
    return current_time()


def demo_tools() -> list[FunctionTool]:
    """The demo tools as agent tools (built on call: the agent loads lazily)."""
    from aiwire.agent import FunctionTool

    return [
        FunctionTool(
            _calculate,
            name="calculate",
            label="calculator",
            description="Evaluate an arithmetic expression exactly, e.g. '6 * 7' or '(2 + 3) ** 2'.",
            parameters={
                "type": "object",
                "properties": {"expression": {"type": "string", "description": "arithmetic expression"}},
                "required": ["expression"],
            },
        ),
        FunctionTool(
            _current_time,
            name="current_time",
            label="clock",
            description="The current date and time (UTC, ISO 8601).",
            parameters={"type": "object", "properties": {}},
        ),
    ]
