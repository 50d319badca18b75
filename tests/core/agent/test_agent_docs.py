"""The walkthrough in docs/agent.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_walkthrough_runs(capsys: pytest.CaptureFixture[str]) -> None:
    page = (ROOT / "docs" / "agent.md").read_text()
    blocks = re.findall(r"```python\n(# example: agent.*?)```", page, flags=re.S)
    assert len(blocks) == 2
    exec(compile("\n".join(blocks), "docs/agent.md", "exec"), {"__name__": "docs_example"})
    out = capsys.readouterr().out
    assert "tool: calculate -> 42" in out
    assert "The calculate tool says: 42." in out
