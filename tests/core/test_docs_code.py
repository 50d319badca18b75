"""Every ```python block in the docs runs as written.

A page's blocks run in order in one namespace (a later block may use an earlier
one's names), in a fresh interpreter with no provider keys in the environment
and an empty ``AIWIRE_HOME``, so they must work offline. A block that cannot
(it needs a real key, a browser, a server of the reader's) is preceded by the
line ``<!-- not-run: REASON -->``; the reason is required.

Like Sphinx's ``doctest_global_setup``, every page starts from a small prelude
so that fragments read naturally: ``aiwire`` and ``asyncio`` are imported,
``model`` is the offline demo model and ``ctx`` a one-message context.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
_NOT_RUN = re.compile(r"<!--\s*not-run:\s*(?P<reason>.*?)\s*-->\s*$")
_KEY_VARS = re.compile(r"(_API_KEY|_TOKEN|_SECRET|_BASE_URL|_HOST)$|^(AWS_|GOOGLE_APPLICATION|AIWIRE_)")


def python_blocks(
    text: str, langs: tuple[str, ...] = ("python", "py")
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(blocks to run, blocks marked not-run) as (line number, code) pairs."""
    run: list[tuple[int, str]] = []
    skipped: list[tuple[int, str]] = []
    for m in _FENCE.finditer(text):
        if m.group("info").strip().split(" ")[0] not in langs:
            continue
        line = text.count("\n", 0, m.start()) + 1
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = _NOT_RUN.search(before)
        indent = len(m.group("indent"))
        code = "\n".join(ln[indent:] for ln in m.group("body").splitlines())
        if marker:
            assert marker.group("reason"), f"line {line}: `not-run` needs a reason"
            skipped.append((line, code))
        else:
            run.append((line, code))
    return run, skipped


# The plugin guide's snippets need the example plugin on the path and run in
# their own test (test_plugin_guide.py); examples/ holds a whole project.
_OWN_TEST = {"plugins.md"}
PAGES = sorted(
    p
    for p in DOCS.rglob("*.md")
    if "examples" not in p.relative_to(DOCS).parts and p.name not in _OWN_TEST and python_blocks(p.read_text())[0]
)
PRELUDE = """
import asyncio
import aiwire
model = aiwire.get_model("demo/aiwire-demo")
ctx = aiwire.Context(messages=[aiwire.UserMessage(content="what is 6 times 7?")])
"""
# Top-level ``await`` is allowed (as in ``python -m asyncio`` or a notebook):
# such a block runs in its own event loop.
_RUNNER = """
import ast, asyncio, inspect, json, sys, traceback
blocks = json.load(sys.stdin)
ns = {"__name__": "__docs__", "__file__": "docs_example.py"}
exec(PRELUDE, ns)
for line, code in blocks:
    try:
        compiled = compile(code, f"{sys.argv[1]}:{line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(compiled, ns)
        if inspect.iscoroutine(result):
            asyncio.run(result)
    except BaseException:
        print(f"block at line {line} failed:", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
"""


def test_pages_are_found() -> None:
    assert len(PAGES) >= 5


def test_the_marker_is_read() -> None:
    page = "a\n<!-- not-run: needs a key -->\n```python\nraise SystemExit(1)\n```\n\n```python\nx = 1\n```\n"
    run, skipped = python_blocks(page)
    assert run == [(7, "x = 1")]
    assert skipped == [(3, "raise SystemExit(1)")]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_code_runs(page: Path, tmp_path: Path) -> None:
    run, _ = python_blocks(page.read_text())
    env = {k: v for k, v in os.environ.items() if not _KEY_VARS.search(k)}
    env["AIWIRE_HOME"] = str(tmp_path / "home")
    env["PYTHONWARNINGS"] = "error::ResourceWarning"
    proc = subprocess.run(
        [sys.executable, "-c", f"PRELUDE = {PRELUDE!r}\n{_RUNNER}", str(page.relative_to(ROOT))],
        input=json.dumps(run),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, f"{page.relative_to(ROOT)}\n{proc.stderr[-4000:]}"


ALL_PAGES = sorted(p for p in DOCS.rglob("*.md") if "examples" not in p.relative_to(DOCS).parts)


@pytest.mark.parametrize("page", ALL_PAGES, ids=[str(p.relative_to(DOCS)) for p in ALL_PAGES])
def test_page_data_blocks_parse(page: Path) -> None:
    """TOML and JSON examples are valid as shown (a reader pastes them)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli", reason="TOML blocks need tomllib (3.11+) or tomli")
    text = page.read_text()
    for line, code in python_blocks(text, ("toml",))[0]:
        try:
            tomllib.loads(code)
        except tomllib.TOMLDecodeError as exc:
            pytest.fail(f"{page.name}:{line}: invalid TOML: {exc}")
    for line, code in python_blocks(text, ("json",))[0]:
        try:
            json.loads(code)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{page.name}:{line}: invalid JSON: {exc}")
