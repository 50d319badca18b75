"""Every Python snippet of docs/plugins.md runs, in order, as written.

A snippet that starts with ``# src/<package>/__init__.py`` becomes that
importable package (the recipe's test imports it); one that sets
``AIWIRE_PLUGIN_API`` is registered as a plugin and must load cleanly; the
``test_*`` functions a snippet defines are called; snippets that read
``__file__`` run as the file they name (the example plugin's tests, or the
first-party contract test).
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aiwire._plugins.registry import get_registry
from aiwire.testing import use_plugin

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "plugins.md"
EXAMPLE = ROOT / "docs" / "examples" / "aiwire-acme"
_BLOCK = re.compile(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)\n```", re.S)


def snippets() -> list[tuple[int, str, str]]:
    text = GUIDE.read_text(encoding="utf-8")
    out = []
    for m in _BLOCK.finditer(text):
        line = text[: m.start("code")].count("\n") + 1
        out.append((line, m.group("before"), m.group("code")))
    return out


def _file_for(code: str) -> Path:
    if "tests/plugins/aiwire-anthropic" in code:
        return ROOT / "tests" / "plugins" / "aiwire-anthropic" / "test_anthropic_contract.py"
    return EXAMPLE / "tests" / "test_contract.py"


@pytest.fixture
def example_on_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    yield
    for name in [n for n in sys.modules if n == "aiwire_acme" or n.startswith("aiwire_acme.")]:
        del sys.modules[name]


def test_the_guide_has_snippets() -> None:
    assert len(snippets()) >= 8
    assert not [s for s in snippets() if "not-run" in s[1]], "every snippet of the plugin guide must run"


@pytest.mark.parametrize("line,before,code", snippets(), ids=[f"line{n}" for n, _, _ in snippets()])
def test_snippet_runs(
    line: int, before: str, code: str, example_on_path: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The recipe's test imports the recipe's package: build it from the guide.
    for _, _, other in snippets():
        package = re.match(r"# src/(\w+)/__init__\.py", other)
        if package and package.group(1) != _package_of(code):
            module = types.ModuleType(package.group(1))
            exec(compile(other, f"{GUIDE}:{package.group(1)}", "exec"), module.__dict__)
            monkeypatch.setitem(sys.modules, package.group(1), module)
    namespace: dict[str, Any] = {"__name__": f"plugins_md_line{line}", "__file__": str(_file_for(code))}
    with use_plugin():
        exec(compile(code, f"{GUIDE}:{line}", "exec"), namespace)
        if "AIWIRE_PLUGIN_API" in namespace:
            _registers_cleanly(namespace, line)
        for name, fn in list(namespace.items()):
            if name.startswith("test_") and callable(fn):
                fn()


def _package_of(code: str) -> str | None:
    m = re.match(r"# src/(\w+)/__init__\.py", code)
    return m.group(1) if m else None


def _registers_cleanly(namespace: dict[str, Any], line: int) -> None:
    module = types.ModuleType(f"plugins_md_line{line}")
    module.__dict__.update(namespace)
    name = f"guide-line{line}"
    with use_plugin(module, name):
        info = get_registry().plugins[name]
        assert info.status == "ok", info.error
        models = [m for m in get_registry().models.values() if get_registry().providers.get(m.provider)]
        assert models  # the catalog callable ran
        for spec in get_registry().apis.values():
            if spec.plugin == name:
                get_registry().codec(spec.id)  # the import path resolves and the codec declares its options


def test_the_recipe_is_a_new_host_on_an_existing_api() -> None:
    [recipe] = [code for _, _, code in snippets() if code.startswith("# src/aiwire_acmecloud/")]
    module = types.ModuleType("aiwire_acmecloud")
    exec(compile(recipe, f"{GUIDE}:recipe", "exec"), module.__dict__)
    with use_plugin(module, "acmecloud"):
        reg = get_registry()
        assert reg.plugins["acmecloud"].hooks == ["register_models", "register_providers"]  # no codec of its own
        assert reg.providers["acmecloud"].api == "openai-completions"
