"""Request rules: the constraints a vendor's server enforces that no request
type expresses (a well-typed body that still comes back as a 400).

A codec keeps its api's rules in a :class:`RequestRules` table beside it and
applies them where it builds the body. A rule either **adapts** the request
in the documented way and says so with :func:`note_rule` (one record on the
``aiwire`` logger naming the rule), or **refuses** it before anything is sent
by raising :class:`aiwire.errors.BadOptionsError` naming the rule and the fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

import msgspec

if TYPE_CHECKING:
    from aiwire.types import Model

__all__ = ["RequestRule", "RequestRules", "note_rule"]

# logging.INFO; logging itself is imported only when a rule is noted, so that
# a plugin's rule table costs nothing at import time.
_INFO = 20


class RequestRule(msgspec.Struct, frozen=True, kw_only=True):
    """One vendor rule: where it applies, what it prevents, what aiwire does.

    ``id`` is ``<api or plugin>.<name>`` (``anthropic.thinking-sampling``);
    ``applies_to`` the models and requests it concerns; ``prevents`` the
    vendor's error text; ``action`` ``"adapt"`` (change the request, with a
    log record) or ``"refuse"`` (raise before sending); ``does`` what aiwire
    then does; ``source`` where the rule is documented or reported (URLs,
    ``" ; "``-separated); ``apis`` which of the plugin's apis it applies to,
    when the table serves more than one.
    """

    id: str
    applies_to: str
    prevents: str
    action: Literal["adapt", "refuse"]
    does: str
    source: str = ""
    apis: str = ""

    def __post_init__(self) -> None:
        if self.action not in ("adapt", "refuse"):
            raise ValueError(f"request rule {self.id!r}: action must be 'adapt' or 'refuse', not {self.action!r}")
        if not self.id or not self.prevents or not self.does:
            raise ValueError(f"request rule {self.id!r}: id, prevents and does must not be empty")


class RequestRules:
    """A codec's table of :class:`RequestRule`, iterable in order and looked
    up by id; :meth:`note` records an adaptation by a rule of the table."""

    __slots__ = ("_by_id",)

    def __init__(self, *rules: RequestRule) -> None:
        by_id: dict[str, RequestRule] = {}
        for rule in rules:
            if not isinstance(rule, RequestRule):
                raise TypeError(f"RequestRules takes RequestRule values, not {type(rule).__name__}")
            if rule.id in by_id:
                raise ValueError(f"request rule {rule.id!r} is listed twice; give each rule its own id")
            by_id[rule.id] = rule
        self._by_id = by_id

    def __iter__(self) -> Iterator[RequestRule]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._by_id

    def __getitem__(self, rule_id: str) -> RequestRule:
        try:
            return self._by_id[rule_id]
        except KeyError:
            known = ", ".join(self._by_id) or "none"
            raise KeyError(f"no request rule {rule_id!r} in this table (it has: {known})") from None

    def __repr__(self) -> str:
        return f"RequestRules({', '.join(self._by_id)})"

    def note(self, rule_id: str, model: Model, detail: str, level: int = _INFO) -> None:
        """Record that rule ``rule_id`` of this table adapted a request to
        ``model`` (:func:`note_rule`); an unknown id raises ``KeyError``."""
        note_rule(self[rule_id], model, detail, level)


def note_rule(rule: RequestRule, model: Model, detail: str, level: int = _INFO) -> None:
    """Log that ``rule`` adapted a request to ``model``: one record on the
    ``aiwire`` logger, ``"<model ref>: <detail> (request rule <id>)"``, at
    ``level`` (``logging.INFO`` by default), carrying the rule's id as the
    record's ``aiwire_rule`` attribute. Call it where the request is built,
    never per streamed event."""
    import logging

    logging.getLogger("aiwire").log(
        level, "%s: %s (request rule %s)", model.ref, detail, rule.id, extra={"aiwire_rule": rule.id}
    )
