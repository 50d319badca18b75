"""docs/cli.md is the CLI reference: one ``## aiwire NAME`` section per
command, and every option a command's ``--help`` shows is in its section."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from aiwire._cli.main import COMMANDS, main

DOC = Path(__file__).resolve().parents[3] / "docs" / "cli.md"
_HEADING = re.compile(r"^## aiwire (\S+)\s*$", re.MULTILINE)


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    marks = list(_HEADING.finditer(text))
    return {
        m.group(1): text[m.end() : marks[i + 1].start() if i + 1 < len(marks) else len(text)]
        for i, m in enumerate(marks)
    }


def _help(name: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main([name, "--help"])
    return out.getvalue()


def options_in_help(text: str) -> set[str]:
    """The option strings of an argparse help text (``-m``, ``--model``...)."""
    found = set()
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("-"):
            continue
        invocation = re.split(r"\s{2,}", stripped)[0]
        for part in invocation.split(", "):
            found.add(part.split()[0])
    return found - {"-h", "--help"}


CORE_COMMANDS = sorted(name for name, entry in COMMANDS.items() if str(entry[0]).startswith("aiwire._cli."))
"""The commands core ships (a plugin's own commands are documented by the plugin)."""


def test_every_command_has_a_section_and_no_section_is_stale() -> None:
    sections = set(_sections())
    assert set(CORE_COMMANDS) <= sections, f"commands without a section: {set(CORE_COMMANDS) - sections}"
    assert sections <= set(COMMANDS), f"sections for commands that do not exist: {sections - set(COMMANDS)}"


@pytest.mark.parametrize("name", CORE_COMMANDS)
def test_every_option_is_documented(name: str) -> None:
    text = _help(name)
    assert text.startswith(f"usage: aiwire {name}"), f"`aiwire {name} --help` printed no usage"
    section = _sections().get(name, "")
    missing = [
        o for o in sorted(options_in_help(text)) if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", section)
    ]
    assert not missing, f"docs/cli.md, section `## aiwire {name}`, does not mention: {', '.join(missing)}"


def test_the_option_parser_finds_options() -> None:
    # A test of the test: it must see short and long forms, metavars dropped.
    assert {"-m", "--model", "-o", "--option", "--no-log", "-u", "--usage"} <= options_in_help(_help("chat"))
