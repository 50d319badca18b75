"""The public surface, pinned (as httpx's tests/test_exported_members.py does):
``__all__`` is sorted and equals what the module really exposes, and the
plugin contract lives in ``aiwire.plugin`` alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import aiwire
import aiwire.plugin

ROOT = Path(__file__).resolve().parents[2]


def public_names(module: ModuleType) -> set[str]:
    """What ``dir(module)`` offers that is not private, leaving out submodules
    the import system bound as attributes (``aiwire.types`` and the like)."""
    names = set()
    for name in dir(module):
        if (name.startswith("_") and name != "__version__") or not name.isidentifier():
            continue
        value = getattr(module, name)
        if (
            isinstance(value, ModuleType)
            and value.__name__ == f"{module.__name__}.{name}"
            and name not in module.__all__
        ):
            continue
        names.add(name)
    return names


@pytest.mark.parametrize("module", [aiwire, aiwire.plugin], ids=lambda m: m.__name__)
def test_all_is_sorted_and_equals_the_public_names(module: ModuleType) -> None:
    assert module.__all__ == sorted(module.__all__)
    assert len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    assert public_names(module) == set(module.__all__)


def test_no_helper_names_leak() -> None:
    for module in (aiwire, aiwire.plugin):
        for leaked in ("Any", "TYPE_CHECKING", "annotations", "importlib", "typing"):
            assert not hasattr(module, leaked), f"{module.__name__}.{leaked}"


def test_robustness_names_are_exported() -> None:
    from aiwire import classify, handoff, tools

    assert aiwire.is_context_overflow is classify.is_context_overflow
    assert aiwire.transform_context is handoff.transform_context
    assert aiwire.ToolArgumentsError is tools.ToolArgumentsError
    assert issubclass(aiwire.ExtractError, aiwire.errors.AiwireError)


def test_plugin_module_is_the_contract() -> None:
    from aiwire._plugins import hooks
    from aiwire._wire import codec, eventstream, framing, rules

    p = aiwire.plugin
    assert p.API_VERSION == 2 and p.API_VERSION in p.SUPPORTED_API_VERSIONS
    assert p.BaseCodec is codec.BaseCodec and p.StreamDecoder is codec.StreamDecoder
    assert p.hookimpl is hooks.hookimpl is aiwire.hookimpl
    assert {p.SSEFramer, p.JSONArrayFramer, p.NDJSONFramer} == {
        framing.SSEFramer,
        framing.JSONArrayFramer,
        framing.NDJSONFramer,
    }
    assert p.EventStreamFramer is eventstream.EventStreamFramer
    # Added in plugin API 2 without a version change (additive).
    assert (p.RequestRule, p.RequestRules, p.note_rule) == (rules.RequestRule, rules.RequestRules, rules.note_rule)
    for proto in (p.RegisterApi, p.RegisterProvider, p.RegisterModels, p.RegisterOAuth, p.CodecFactory):
        assert "__call__" in vars(proto), proto


def test_importing_aiwire_and_discovering_every_plugin_loads_no_network_stack() -> None:
    code = (
        "import sys, warnings, aiwire, aiwire.plugin\n"
        "warnings.simplefilter('error')\n"
        "rows = aiwire.plugins()\n"
        "assert all(r.status == 'ok' for r in rows), [(r.name, r.error) for r in rows if r.status != 'ok']\n"
        "print(len(rows), sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'httpcore', 'anyio', 'ssl')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    count, loaded = out.stdout.split(" ", 1)
    assert int(count) >= 2
    assert loaded.strip() == "[]"


def _private_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "aiwire" and (any(p.startswith("_") for p in parts[1:]) or parts[1:2] == ["auth"]):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
                break
    return found


def test_plugins_use_only_the_public_plugin_api() -> None:
    sources = [*ROOT.glob("plugins/*/src/**/*.py"), *ROOT.glob("docs/examples/aiwire-acme/**/*.py")]
    assert len(sources) > 20
    bad = [hit for path in sources for hit in _private_imports(path)]
    assert bad == [], "plugins must import from aiwire.plugin (and aiwire, aiwire.types, aiwire.errors):\n" + "\n".join(
        bad
    )


def test_first_party_plugins_declare_plugin_api_2() -> None:
    for init in ROOT.glob("plugins/*/src/*/__init__.py"):
        declared = [
            node.value
            for node in ast.parse(init.read_text()).body
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "AIWIRE_PLUGIN_API" for t in node.targets)
        ]
        assert [ast.literal_eval(v) for v in declared] == [2], init
