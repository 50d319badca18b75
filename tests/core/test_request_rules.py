"""aiwire.plugin's request-rule helpers: the table, its lookup and the one
log record of an adaptation, and the first-party plugins' tables built on them."""

from __future__ import annotations

import importlib
import logging

import pytest

import aiwire
from aiwire.plugin import RequestRule, RequestRules, note_rule

MODEL = aiwire.Model(id="acme-2", provider="acme", api="acme-chat", base_url="https://api.acme.test")


def rule(id: str = "acme.one", **kw: str) -> RequestRule:
    fields = {"applies_to": "every request", "prevents": "400 text", "action": "adapt", "does": "drops it"}
    return RequestRule(id=id, **{**fields, **kw})  # type: ignore[arg-type]


def test_a_table_iterates_in_order_and_looks_up_by_id() -> None:
    a, b = rule("acme.a"), rule("acme.b", source="https://example.test/a", apis="chat")
    table = RequestRules(a, b)
    assert list(table) == [a, b] and len(table) == 2
    assert table["acme.b"] is b and "acme.a" in table and "acme.c" not in table
    assert b.source == "https://example.test/a" and a.source == "" and a.apis == ""
    assert repr(table) == "RequestRules(acme.a, acme.b)"


def test_an_unknown_id_names_the_table_it_was_looked_up_in() -> None:
    table = RequestRules(rule("acme.a"))
    with pytest.raises(KeyError, match=r"no request rule 'acme\.typo' in this table \(it has: acme\.a\)"):
        table.note("acme.typo", MODEL, "x")


def test_bad_tables_and_rules_are_refused_naming_the_rule() -> None:
    with pytest.raises(ValueError, match="'acme.a' is listed twice"):
        RequestRules(rule("acme.a"), rule("acme.a"))
    with pytest.raises(TypeError, match="not tuple"):
        RequestRules(("acme.a", "x"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'acme.a': action must be 'adapt' or 'refuse', not 'fix'"):
        rule("acme.a", action="fix")
    with pytest.raises(ValueError, match="must not be empty"):
        rule("acme.a", prevents="")
    with pytest.raises(TypeError):
        RequestRule("acme.a", "x", "y", "adapt", "z")  # type: ignore[misc]  # keywords only


def test_a_note_is_one_record_on_the_aiwire_logger(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    table = RequestRules(rule("acme.a"), rule("acme.b"))
    table.note("acme.b", MODEL, "top_p not sent", logging.WARNING)
    note_rule(table["acme.a"], MODEL, "clamped")
    got = [(r.name, r.levelno, r.getMessage(), getattr(r, "aiwire_rule", None)) for r in caplog.records]
    assert got == [
        ("aiwire", logging.WARNING, "acme/acme-2: top_p not sent (request rule acme.b)", "acme.b"),
        ("aiwire", logging.INFO, "acme/acme-2: clamped (request rule acme.a)", "acme.a"),
    ]


@pytest.mark.parametrize("plugin", ["aiwire_openai", "aiwire_anthropic", "aiwire_google", "aiwire_bedrock"])
def test_first_party_tables_are_request_rules(plugin: str) -> None:
    rules = importlib.import_module(f"{plugin}.rules")
    assert isinstance(rules.RULES, RequestRules) and len(rules.RULES) >= 6
    assert all(r.id.startswith(plugin.split("_")[1]) for r in rules.RULES)
    assert not hasattr(rules, "Rule"), "the plugin's own copy of the rule type is back"
