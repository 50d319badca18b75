"""Every Python block of docs/observability.md runs as written (each in a
fresh interpreter: they configure logging and the tracer provider)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "observability.md"
BLOCKS = re.findall(r"\n```python\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_page_has_its_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{n}" for n in range(len(BLOCKS))])
def test_block_runs(code: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AIWIRE_LOG"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
