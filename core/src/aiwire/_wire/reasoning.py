"""Reasoning levels a model takes, and the clamp to the nearest one.

The levels come from the model's catalog entry and compat flags: a model that
does not reason takes only ``off``; ``compat["reasoning_levels"]`` (aiwire's
words) or ``compat["efforts"]`` (the vendor's: ``none`` is ``off``, ``max`` is
``xhigh``) list the others. With neither, or on a host whose catalog is open
(local servers, which take any model id), the levels are unknown and every
level goes to the codec as asked.

A level the model does not take is replaced by the nearest one it does
(ties go to the higher level, as pi-ai clamps ``xhigh`` to ``high``), and a
``WARNING`` record on ``aiwire.reasoning`` says so (an option you set was changed): its ``aiwire_reasoning`` extra
holds ``{"model", "requested", "sent", "supported"}``.
"""

from __future__ import annotations

import logging

from aiwire.types import Model

__all__ = ["LEVELS", "clamp_reasoning", "supported_levels"]

LEVELS = ("off", "minimal", "low", "medium", "high", "xhigh")
_VENDOR_WORDS = {"none": "off", "max": "xhigh"}

log = logging.getLogger("aiwire.reasoning")


def supported_levels(model: Model) -> tuple[str, ...] | None:
    """The levels ``model`` takes, in order, or ``None`` when unknown."""
    if model.compat.get("open_catalog"):
        return None
    if not model.reasoning:
        return ("off",)
    listed = model.compat.get("reasoning_levels") or model.compat.get("efforts")
    if not isinstance(listed, (list, tuple)) or not listed:
        return None
    named = {"off"} | {_VENDOR_WORDS.get(str(x), str(x)) for x in listed}
    return tuple(level for level in LEVELS if level in named)


def clamp_reasoning(model: Model, level: str | None) -> str | None:
    """``level``, or the nearest level ``model`` takes (logged)."""
    if level is None or level == "off":
        return level
    levels = supported_levels(model)
    if levels is None or level in levels or level not in LEVELS:
        return level
    want = LEVELS.index(level)
    on = [x for x in levels if x != "off"] or ["off"]
    sent = min(on, key=lambda x: (abs(LEVELS.index(x) - want), -LEVELS.index(x)))
    log.warning(
        "%s: reasoning %r is not a level this model takes (%s): sent as %r",
        model.ref,
        level,
        ", ".join(levels),
        sent,
        extra={"aiwire_reasoning": {"model": model.ref, "requested": level, "sent": sent, "supported": levels}},
    )
    return sent
