"""The plugin index: written by discovery, read by the next discovery while
nothing installed changed, invalidated when something did (a throwaway
distribution on sys.path, as in test_plugins.py)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import aiwire
from aiwire._plugins import registry as _plugins
from aiwire._plugins.index import index_path

PLUGIN = """
import aiwire
AIWIRE_PLUGIN_API = 2
CALLS = []

@aiwire.hookimpl
def register_apis(register):
    register("idx-wire", "{mod}_codec:Codec")

@aiwire.hookimpl
def register_providers(register):
    register(aiwire.ProviderSpec(id="{provider}", api="idx-wire", base_url="{base_url}", auth="none"))

@aiwire.hookimpl
def register_models(register):
    register("{mod}")
"""

HOOKED = """
import aiwire
AIWIRE_PLUGIN_API = 2

@aiwire.hookimpl
def prepare_request(model, request, call):
    import {mod}_log
    {mod}_log.CALLS.append("{mod}")
"""

EAGER_HOOKED = """
import aiwire
AIWIRE_PLUGIN_API = 2

@aiwire.hookimpl
def register_models(register):
    register(lambda: [])  # a callable, not package data: this plugin is eager

@aiwire.hookimpl
def prepare_request(model, request, call):
    import hooked_plugin_log
    hooked_plugin_log.CALLS.append("{mod}")
"""

CODEC = """
from aiwire._demo.faux import FauxCodec

class Codec(FauxCodec):
    api = "idx-wire"
"""


def _catalog(provider: str) -> str:
    model = {"id": "idx-1", "provider": provider, "api": "idx-wire", "base_url": "http://idx.invalid"}
    return json.dumps({"notice": "test data", "source": "this test", "models": [model]})


pytestmark = pytest.mark.usefixtures("_fresh_registry")


class Site:
    """A folder on sys.path holding fake distributions with entry points."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: list[str] = []

    def add(self, dist: str, module: str, source: str, *, version: str = "1.0", catalog: str | None = None) -> Path:
        pkg = self.root / module
        pkg.mkdir(exist_ok=True)
        (pkg / "__init__.py").write_text(textwrap.dedent(source))
        if catalog is not None:
            (pkg / "catalog.json").write_text(catalog)
        (self.root / f"{module}_codec.py").write_text(CODEC)
        (self.root / f"{module}_log.py").write_text("CALLS = []\n")
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[aiwire]\n{module} = {module}\n")
        self.modules.append(module)
        importlib.invalidate_caches()
        return info

    def forget_modules(self) -> None:
        """As a new process would: none of the fake plugins imported."""
        for name in list(sys.modules):
            if name.split(".")[0].removesuffix("_codec").removesuffix("_log") in self.modules:
                del sys.modules[name]
        importlib.invalidate_caches()

    def fresh(self) -> _plugins.Registry:
        self.forget_modules()
        _plugins.reset()
        return _plugins.get_registry()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    root = tmp_path / "site"
    root.mkdir()
    sys.path.insert(0, str(root))
    made = Site(root)
    try:
        yield made
    finally:
        sys.path.remove(str(root))
        made.forget_modules()


def _index() -> dict[str, dict[str, object]]:
    path = index_path()
    assert path is not None
    return {e["name"]: e for e in json.loads(path.read_bytes())["entries"]}


def _rows() -> dict[str, aiwire.PluginInfo]:
    return {p.name: p for p in aiwire.plugins()}


def test_the_index_is_written_then_read_without_importing_plugins(site: Site) -> None:
    site.add(
        "aiwire-idx",
        "idx_plugin",
        PLUGIN.format(mod="idx_plugin", provider="idx", base_url="http://idx.invalid"),
        catalog=_catalog("idx"),
    )
    reg = site.fresh()
    assert "idx_plugin" in sys.modules, "no index yet: discovery imports the plugin"
    entry = _index()["idx_plugin"]
    assert entry["eager"] is False and entry["catalogs"] == [
        {"package": "idx_plugin", "name": "catalog.json", "providers": ["idx"]}
    ]
    assert reg.apis["idx-wire"].codec == "idx_plugin_codec:Codec"

    reg = site.fresh()
    assert "idx_plugin" not in sys.modules, "from the index: nothing imported at discovery"
    row = _rows()["idx_plugin"]
    assert (row.status, row.distribution, row.version, row.hooks) == (
        "ok",
        "aiwire-idx",
        "1.0",
        ["register_apis", "register_models", "register_providers"],
    )
    assert aiwire.get_provider("idx").base_url == "http://idx.invalid"
    assert "idx_plugin" not in sys.modules, "a provider lookup imports nothing"
    model = aiwire.get_model("idx/idx-1")  # its catalog is package data: now the package is imported
    from aiwire._demo.builtin import _demo_transport

    msg = aiwire.complete_sync(model, "hi", transport=_demo_transport())
    assert msg.stop_reason == "stop" and "idx_plugin_codec" in sys.modules
    assert [m.ref for m in aiwire.models("idx")] == ["idx/idx-1"]


def test_installing_upgrading_and_removing_a_plugin_invalidates_the_index(site: Site) -> None:
    site.add(
        "aiwire-idx",
        "idx_plugin",
        PLUGIN.format(mod="idx_plugin", provider="idx", base_url="http://idx.invalid"),
        catalog=_catalog("idx"),
    )
    site.fresh()
    site.fresh()
    assert "idx_plugin" not in sys.modules  # read from the index

    # install a second plugin
    two = site.add(
        "aiwire-two",
        "two_plugin",
        PLUGIN.format(mod="two_plugin", provider="two", base_url="http://two.invalid").replace("idx-wire", "two-wire"),
        catalog=_catalog("two").replace("idx-wire", "two-wire"),
    )
    site.fresh()
    assert "two_plugin" in _rows() and aiwire.get_model("two/idx-1").api == "two-wire"
    assert set(_index()) >= {"idx_plugin", "two_plugin"}

    # upgrade it: a new dist-info name
    two.rename(two.with_name("aiwire_two-2.0.dist-info"))
    (two.with_name("aiwire_two-2.0.dist-info") / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: aiwire-two\nVersion: 2.0\n"
    )
    site.fresh()
    assert _rows()["two_plugin"].version == "2.0"

    # reinstall it under the same dist-info name, its entry point renamed
    import shutil

    upgraded = two.with_name("aiwire_two-2.0.dist-info")
    shutil.rmtree(upgraded)
    upgraded.mkdir()
    (upgraded / "METADATA").write_text("Metadata-Version: 2.1\nName: aiwire-two\nVersion: 2.0\n")
    (upgraded / "entry_points.txt").write_text("[aiwire]\nsecond = two_plugin\n")
    site.fresh()
    assert "second" in _rows() and "two_plugin" not in _rows()

    # remove it
    shutil.rmtree(upgraded)
    shutil.rmtree(site.root / "two_plugin")
    site.fresh()
    assert "second" not in _rows() and "two" not in {p.id for p in aiwire.providers()}
    assert "second" not in _index() and "idx_plugin" in _index()


def test_an_edited_plugin_source_invalidates_the_index(site: Site) -> None:
    site.add(
        "aiwire-idx",
        "idx_plugin",
        PLUGIN.format(mod="idx_plugin", provider="idx", base_url="http://old.invalid"),
        catalog=_catalog("idx"),
    )
    site.fresh()
    source = site.root / "idx_plugin" / "__init__.py"
    source.write_text(textwrap.dedent(PLUGIN.format(mod="idx_plugin", provider="idx", base_url="http://new.invalid")))
    later = time.time() + 5  # an mtime the index cannot have recorded, however coarse the clock
    os.utime(source, (later, later))
    site.fresh()
    assert aiwire.get_provider("idx").base_url == "http://new.invalid"


def test_request_hook_plugins_load_on_the_first_call_in_registration_order(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.add(
        "aiwire-idx",
        "idx_plugin",
        PLUGIN.format(mod="idx_plugin", provider="idx", base_url="http://idx.invalid"),
        catalog=_catalog("idx"),
    )
    site.add("aiwire-hooked", "hooked_plugin", HOOKED.format(mod="hooked_plugin"))
    # Eager plugins with request hooks, named before and after it.
    site.add("aiwire-aaa", "aaa_eager", EAGER_HOOKED.format(mod="aaa_eager"))
    site.add("aiwire-zzz", "zzz_eager", EAGER_HOOKED.format(mod="zzz_eager"))
    from aiwire._demo.builtin import _demo_transport

    class InProcess:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl
        def prepare_request(self, model: object, request: object) -> None:
            import hooked_plugin_log

            hooked_plugin_log.CALLS.append("in-process")

    def run() -> list[str]:
        _plugins.register_plugin(InProcess(), "in-process")
        try:
            reg = site.fresh()
            deferred = "hooked_plugin" not in sys.modules
            model = aiwire.get_model("idx/idx-1")
            if deferred:
                assert "hooked_plugin" not in sys.modules, "a model lookup does not import request-hook plugins"
            aiwire.complete_sync(model, "hi", transport=_demo_transport())
            import hooked_plugin_log

            assert reg.plugins["hooked_plugin"].status == "ok"
            return [*hooked_plugin_log.CALLS, f"deferred={deferred}"]
        finally:
            _plugins.unregister_plugin("in-process")

    monkeypatch.setenv("AIWIRE_PLUGIN_INDEX", "0")
    without = run()
    monkeypatch.delenv("AIWIRE_PLUGIN_INDEX")
    run()  # writes the index
    with_index = run()
    # pluggy calls the last registered first: in-process, then the installed
    # plugins in reverse name order, with or without the index.
    assert without[:-1] == with_index[:-1] == ["in-process", "zzz_eager", "hooked_plugin", "aaa_eager"]
    assert (without[-1], with_index[-1]) == ("deferred=False", "deferred=True")


def test_the_index_can_be_turned_off_and_a_bad_one_is_replaced(
    site: Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site.add(
        "aiwire-idx",
        "idx_plugin",
        PLUGIN.format(mod="idx_plugin", provider="idx", base_url="http://idx.invalid"),
        catalog=_catalog("idx"),
    )
    path = index_path()
    assert path is not None and path.parent == Path(os.environ["AIWIRE_HOME"]) / "cache"
    with monkeypatch.context() as patch:
        patch.setattr(sys, "prefix", "/another/venv")
        other = index_path()
    assert other is not None and other.parent == path.parent and other != path, "one index per environment"
    monkeypatch.setenv("AIWIRE_PLUGIN_INDEX", "0")
    assert index_path() is None
    site.fresh()
    assert not path.exists()
    monkeypatch.delenv("AIWIRE_PLUGIN_INDEX")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"{not json")
    site.fresh()
    assert "idx_plugin" in sys.modules and "idx_plugin" in _index()
    # A cache folder that cannot be written: discovery works, no index.
    home = tmp_path / "home"
    home.mkdir()
    (home / "cache").write_text("a file where the cache folder would be")
    monkeypatch.setenv("AIWIRE_HOME", str(home))
    site.fresh()
    assert aiwire.get_provider("idx").api == "idx-wire"


def test_the_index_leaves_a_new_aiwire_home_private(
    site: Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The first discovery may create AIWIRE_HOME (for its cache folder): the
    auth store, which refuses a folder others can read, must still accept it."""
    home = tmp_path / "new" / "home"
    monkeypatch.setenv("AIWIRE_HOME", str(home))
    site.fresh()
    assert (home / "cache").is_dir()
    if sys.platform != "win32":
        assert home.stat().st_mode & 0o777 == 0o700 and (home / "cache").stat().st_mode & 0o777 == 0o700
    from aiwire.auth.store import default_store

    default_store().set_key("idx", "sk-test")  # no InsecureStoreError


def test_plugins_that_register_objects_are_loaded_eagerly(site: Site) -> None:
    source = PLUGIN.format(mod="idx_plugin", provider="idx", base_url="http://idx.invalid").replace(
        'register("idx_plugin")',
        'register(lambda: [aiwire.Model(id="dyn", provider="idx", api="idx-wire", base_url="http://idx.invalid")])',
    )
    site.add("aiwire-idx", "idx_plugin", source)
    site.fresh()
    assert _index()["idx_plugin"]["eager"] is True
    site.fresh()
    assert "idx_plugin" in sys.modules, "an eager plugin is imported by every discovery"
    assert aiwire.get_model("idx/dyn").id == "dyn"


def test_an_explicit_client_neither_reads_nor_writes_the_index(site: Site) -> None:
    site.add(
        "aiwire-idx",
        "idx_plugin",
        PLUGIN.format(mod="idx_plugin", provider="idx", base_url="http://idx.invalid"),
        catalog=_catalog("idx"),
    )
    import idx_plugin

    with aiwire.Client(plugins=[idx_plugin]) as client:
        assert client.get_model("idx/idx-1").provider == "idx"
    path = index_path()
    assert path is not None and not path.exists()


def test_get_model_of_a_local_provider_imports_only_its_plugin(tmp_path: Path) -> None:
    """In a fresh process: discovery from the index imports no plugin and no
    distribution metadata; ollama/m then needs aiwire-openai's codec alone."""
    code = textwrap.dedent(
        """
        import json, sys
        import aiwire
        from aiwire._plugins.registry import get_registry

        def loaded():
            prefixes = ("aiwire_", "importlib_metadata", "importlib.metadata")
            return sorted(m for m in sys.modules if m.startswith(prefixes))

        model = aiwire.get_model("ollama/m")
        after_lookup = loaded()
        get_registry().codec(model.api)
        print(json.dumps([after_lookup, loaded()]))
        """
    )
    env = {**os.environ, "AIWIRE_HOME": str(tmp_path)}
    env.pop("AIWIRE_PLUGIN_INDEX", None)

    def imported() -> list[list[str]]:
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        return list(json.loads(out.stdout))

    first, _ = imported()
    assert {"aiwire_anthropic", "aiwire_openai"} <= set(first), "without an index every plugin is imported"
    after_lookup, after_codec = imported()
    assert after_lookup == [], "from the index, ollama/m is resolved without importing any plugin"
    assert after_codec and all(m == "aiwire_openai" or m.startswith("aiwire_openai.") for m in after_codec), after_codec


def _by_inspect(obj: object) -> bool:
    import inspect

    params = list(inspect.signature(obj).parameters.values())  # type: ignore[arg-type]
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return bool(params) and params[0].kind in positional and params[0].default is inspect.Parameter.empty


def test_the_codec_factory_check_agrees_with_inspect() -> None:
    """Registry._build_codec reads a plain class's or function's code instead
    of inspect.signature (which costs milliseconds on first use)."""
    import abc
    import dataclasses

    from aiwire._plugins.registry import _wants_context

    class Plain:
        pass

    class Takes:
        def __init__(self, context: object) -> None:
            pass

    class Optional:
        def __init__(self, context: object = None) -> None:
            pass

    class Abstract(abc.ABC):
        def __init__(self, context: object, extra: int = 1) -> None:
            self.extra = extra

        @abc.abstractmethod
        def build(self) -> None: ...

    class KeywordOnly:
        def __init__(self, *, context: object) -> None:
            pass

    @dataclasses.dataclass
    class Data:
        context: object

    def factory(context: object) -> None:
        pass

    def nothing() -> None:
        pass

    def varargs(*args: object) -> None:
        pass

    cases = [Plain, Takes, Optional, Abstract, KeywordOnly, Data, factory, nothing, varargs]
    assert [_wants_context(c) for c in cases] == [_by_inspect(c) for c in cases]
    assert [_by_inspect(c) for c in cases] == [False, True, False, True, False, True, True, False, False]
