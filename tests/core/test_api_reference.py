"""The API reference covers every public name, each with a docstring.

The site (mkdocs.yml) renders ``aiwire``, ``aiwire.plugin``, ``aiwire.agent``,
``aiwire.testing``, ``aiwire.events`` and ``aiwire.errors`` with mkdocstrings,
which reads docstrings statically through griffe, as these tests do.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import griffe
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["aiwire", "aiwire.plugin", "aiwire.agent", "aiwire.testing", "aiwire.events", "aiwire.errors"]


@pytest.fixture(scope="module")
def package() -> griffe.Module:
    loader = griffe.GriffeLoader(search_paths=[str(ROOT / "core" / "src")])
    pkg = loader.load("aiwire")
    loader.resolve_aliases(implicit=False, external=False)
    assert isinstance(pkg, griffe.Module)
    return pkg


def _public(module: str) -> list[str]:
    names: list[str] = importlib.import_module(module).__all__
    return names


def _has_doc(obj: griffe.Object | griffe.Alias) -> bool:
    return bool(obj.docstring and obj.docstring.value.strip())


@pytest.mark.parametrize("module", MODULES)
def test_every_public_name_and_method_has_a_docstring(package: griffe.Module, module: str) -> None:
    mod = package if module == "aiwire" else package[module.split(".", 1)[1]]
    missing = []
    for name in _public(module):
        obj = mod[name]
        if not _has_doc(obj):
            missing.append(name)
        target = obj.final_target if obj.is_alias else obj
        if target.is_class:
            # Fields are described in the class docstring; methods need their own.
            missing += [
                f"{name}.{m}"
                for m, member in target.members.items()
                if not m.startswith("_") and not member.is_alias and member.is_function and not _has_doc(member)
            ]
    assert not missing, f"{module}: no docstring on {missing}"


def test_the_site_builds_and_lists_every_public_name(tmp_path: Path) -> None:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "not included in the" not in proc.stderr, f"a page is missing from mkdocs.yml's nav:\n{proc.stderr}"
    pages = {"aiwire": "aiwire", "aiwire.plugin": "plugin", "aiwire.agent": "agent", "aiwire.testing": "testing"}
    pages |= {"aiwire.events": "events", "aiwire.errors": "errors"}
    for module, page in pages.items():
        html = (tmp_path / "site" / "reference" / page / "index.html").read_text()
        anchors = set(re.findall(r'id="([\w.]+)"', html))
        # Submodules have their own pages; dunders (``__version__``) are filtered out.
        own_page = {m.rsplit(".", 1)[-1] for m in pages if m != module}
        absent = [
            n
            for n in _public(module)
            if f"{module}.{n}" not in anchors and n not in own_page and not n.startswith("__")
        ]
        assert not absent, f"reference/{page}: {absent} not rendered"
