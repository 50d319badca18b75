"""Discovery through real entry points (a throwaway distribution on sys.path)."""

from __future__ import annotations

import importlib
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import aiwire
from aiwire._plugins import registry as _plugins
from aiwire.errors import PluginError, UnknownApiError

GOOD = """
import aiwire
AIWIRE_PLUGIN_API = 2

@aiwire.hookimpl
def register_apis(register):
    register("acme-wire", "{mod}_codec:Codec")

@aiwire.hookimpl
def register_providers(register):
    register(aiwire.ProviderSpec(id="{provider}", api="acme-wire", base_url="http://acme.invalid", auth="none"))

@aiwire.hookimpl
def register_models(register):
    register(lambda: [aiwire.Model(id="acme-1", provider="{provider}", api="acme-wire", base_url="http://acme.invalid")])
"""

CODEC = """
from aiwire._demo.faux import FauxCodec

class Codec(FauxCodec):
    api = "acme-wire"
"""

# These tests change what discovery finds: each starts and ends with fresh discovery.
pytestmark = pytest.mark.usefixtures("_fresh_registry")


class Site:
    """A folder on sys.path holding fake distributions with entry points."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def add(self, dist: str, module: str, source: str, *, codec: str | None = None, ep_name: str | None = None) -> None:
        (self.root / f"{module}.py").write_text(textwrap.dedent(source))
        if codec is not None:
            (self.root / f"{module}_codec.py").write_text(codec)
        info = self.root / f"{dist.replace('-', '_')}-1.2.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
        (info / "entry_points.txt").write_text(f"[aiwire]\n{ep_name or module} = {module}\n")
        importlib.invalidate_caches()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    sys.path.insert(0, str(tmp_path))
    before = set(sys.modules)
    try:
        yield Site(tmp_path)
    finally:
        sys.path.remove(str(tmp_path))
        for name in set(sys.modules) - before:
            if name.startswith(("acme", "broken", "other")):
                del sys.modules[name]
        importlib.invalidate_caches()


def _plugin_rows() -> dict[str, aiwire.PluginInfo]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {p.name: p for p in aiwire.plugins()}


def test_installed_plugin_is_discovered_listed_and_used(site: Site) -> None:
    site.add("aiwire-acme", "acme_plugin", GOOD.format(mod="acme_plugin", provider="acme"), codec=CODEC)
    rows = _plugin_rows()
    row = rows["acme_plugin"]
    assert (row.status, row.distribution, row.version) == ("ok", "aiwire-acme", "1.2.3")
    assert row.hooks == ["register_apis", "register_models", "register_providers"]
    assert "acme_plugin_codec" not in sys.modules, "codec modules must load on first use, not at discovery"
    model = aiwire.get_model("acme/acme-1")
    assert [m.ref for m in aiwire.models("acme")] == ["acme/acme-1"]
    # Discovery is cached: the same registry answers again.
    assert _plugins.get_registry() is _plugins.get_registry()
    msg = aiwire.complete_sync(model, "hi", transport=_demo_transport())
    assert "acme_plugin_codec" in sys.modules
    assert msg.stop_reason == "stop" and "offline demo" in msg.text


def _demo_transport():
    from aiwire._demo.builtin import _demo_transport as make

    return make()


def test_broken_plugins_are_isolated_and_reported(site: Site) -> None:
    site.add("aiwire-acme", "acme_plugin", GOOD.format(mod="acme_plugin", provider="acme"), codec=CODEC)
    site.add("aiwire-broken", "broken_import", "raise ImportError('no such thing: libfoo')\n")
    site.add(
        "aiwire-broken2",
        "broken_hook",
        "import aiwire\nAIWIRE_PLUGIN_API = 2\n@aiwire.hookimpl\ndef register_providers(register):\n    raise RuntimeError('kaboom')\n",
    )
    site.add("aiwire-old", "broken_version", "AIWIRE_PLUGIN_API = 0\n")
    site.add("aiwire-noversion", "broken_nover", "x = 1\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _plugins.get_registry()
    assert sorted(str(w.message).split("'")[1] for w in caught) == [
        "broken_hook",
        "broken_import",
        "broken_nover",
        "broken_version",
    ]
    rows = _plugin_rows()
    assert rows["acme_plugin"].status == "ok"
    assert rows["broken_import"].status == "error" and "libfoo" in (rows["broken_import"].error or "")
    assert rows["broken_hook"].status == "error" and "kaboom" in (rows["broken_hook"].error or "")
    old = rows["broken_version"]
    assert (
        old.status == "refused"
        and "plugin API 0" in (old.error or "")
        and "implements plugin API 2" in (old.error or "")
    )
    assert "does not declare AIWIRE_PLUGIN_API" in (rows["broken_nover"].error or "")
    assert aiwire.get_model("acme/acme-1").api == "acme-wire"


def test_strict_mode_turns_failures_into_errors(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.add("aiwire-broken", "broken_import", "raise ImportError('nope')\n")
    monkeypatch.setenv("AIWIRE_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="broken_import.*nope"):
        _plugins.get_registry()


def test_duplicate_provider_names_both_plugins(site: Site) -> None:
    site.add("aiwire-acme", "acme_plugin", GOOD.format(mod="acme_plugin", provider="acme"), codec=CODEC)
    site.add(
        "aiwire-other",
        "other_plugin",
        GOOD.format(mod="other_plugin", provider="acme").replace("acme-wire", "other-wire"),
        codec=CODEC,
    )
    with pytest.warns(RuntimeWarning, match=r"provider 'acme' is registered by both 'acme_plugin' and 'other_plugin'"):
        _plugins.get_registry()
    rows = _plugin_rows()
    assert rows["other_plugin"].status == "error"
    assert "other-wire" not in _plugins.get_registry().apis, "a failed plugin must leave nothing registered"


def test_allow_and_deny_lists(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.add("aiwire-acme", "acme_plugin", GOOD.format(mod="acme_plugin", provider="acme"), codec=CODEC)
    monkeypatch.setenv("AIWIRE_PLUGINS", "")
    assert _plugin_rows()["acme_plugin"].status == "disabled"
    assert "acme" not in {p.id for p in aiwire.providers()}
    _plugins.reset()
    monkeypatch.setenv("AIWIRE_PLUGINS", "aiwire-acme")
    assert _plugin_rows()["acme_plugin"].status == "ok"
    _plugins.reset()
    monkeypatch.delenv("AIWIRE_PLUGINS")
    monkeypatch.setenv("AIWIRE_DISABLE_PLUGINS", "acme_plugin")
    assert _plugin_rows()["acme_plugin"].status == "disabled"


def test_in_process_registration_and_unknown_api() -> None:
    class Plugin:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl
        def register_providers(self, register):
            register(aiwire.ProviderSpec(id="ghost", api="no-such-api", base_url="http://x.invalid", auth="none"))

    aiwire.register_plugin(Plugin(), "ghost-plugin")
    try:
        model = aiwire.custom_model("anything", provider="ghost")
        with pytest.raises(UnknownApiError, match="no installed plugin implements the api 'no-such-api'"):
            aiwire.stream_sync(model, "hi")
    finally:
        aiwire.unregister_plugin("ghost-plugin")
    assert "ghost" not in {p.id for p in aiwire.providers()}


def test_bad_registrations_are_rejected() -> None:
    class Plugin:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl
        def register_providers(self, register):
            register({"id": "x"})

    aiwire.register_plugin(Plugin(), "bad-plugin")
    try:
        with pytest.warns(RuntimeWarning, match="register_providers takes a ProviderSpec, got dict"):
            _plugins.get_registry()
    finally:
        aiwire.unregister_plugin("bad-plugin")


SPECNAME = """
from aiwire.plugin import ProviderSpec, RegisterApi, RegisterModels, RegisterProvider, hookimpl
import aiwire

AIWIRE_PLUGIN_API = (1, 2)

@hookimpl(specname="register_apis")
def add_wire(register: RegisterApi) -> None:
    register("acme-wire", "{mod}_codec:Codec")

@hookimpl(specname="register_providers", trylast=True)
def hosts_last(register: RegisterProvider) -> None:
    register(ProviderSpec(id="acme-late", api="acme-wire", base_url="http://late.invalid", auth="none"))

@hookimpl(specname="register_providers", tryfirst=True)
def hosts_first(register: RegisterProvider) -> None:
    ORDER.append("first")
    register(ProviderSpec(id="acme", api="acme-wire", base_url="http://acme.invalid", auth="none"))

@hookimpl(specname="register_models")
def catalog(register: RegisterModels) -> None:
    register([aiwire.Model(id="acme-1", provider="acme", api="acme-wire", base_url="http://acme.invalid")])

ORDER = []
"""


def test_specname_hooks_register_end_to_end(site: Site) -> None:
    site.add("aiwire-acme", "acme_plugin", SPECNAME.format(mod="acme_plugin"), codec=CODEC)
    rows = _plugin_rows()
    row = rows["acme_plugin"]
    assert row.status == "ok", row.error
    assert row.hooks == ["register_apis", "register_models", "register_providers"]
    reg = _plugins.get_registry()
    # tryfirst/trylast are pluggy's: the tryfirst implementation ran first.
    assert list(p for p in reg.providers if p.startswith("acme")) == ["acme", "acme-late"]
    assert sys.modules["acme_plugin"].ORDER == ["first"]
    msg = aiwire.complete_sync(aiwire.get_model("acme/acme-1"), "hi", transport=_demo_transport())
    assert msg.stop_reason == "stop" and "offline demo" in msg.text


def test_unknown_hook_names_are_refused_unless_optional() -> None:
    class Typo:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl
        def register_provider(self, register):  # missing "s"
            raise AssertionError("never called")

    class Optional:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl(optionalhook=True)
        def from_a_newer_api(self, register):
            raise AssertionError("never called")

    aiwire.register_plugin(Typo(), "typo")
    aiwire.register_plugin(Optional(), "optional")
    try:
        rows = _plugin_rows()
        assert rows["typo"].status == "error"
        assert "'register_provider', which is not an aiwire hook" in (rows["typo"].error or "")
        assert rows["optional"].status == "ok"
    finally:
        aiwire.unregister_plugin("typo")
        aiwire.unregister_plugin("optional")


def test_an_unmarked_register_function_is_reported() -> None:
    class Unmarked:
        AIWIRE_PLUGIN_API = 2

        def register_providers(self, register):  # forgot @hookimpl
            raise AssertionError("never called")

    aiwire.register_plugin(Unmarked(), "unmarked")
    try:
        assert "register_providers is not marked as a hook" in (_plugin_rows()["unmarked"].error or "")
    finally:
        aiwire.unregister_plugin("unmarked")


def test_request_hooks_cannot_be_wrappers() -> None:
    class Wrapper:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl(wrapper=True)
        def prepare_request(self, model, request):
            return (yield)

    aiwire.register_plugin(Wrapper(), "wrapper")
    try:
        assert "cannot be a hook wrapper" in (_plugin_rows()["wrapper"].error or "")
    finally:
        aiwire.unregister_plugin("wrapper")


def test_register_hook_wrappers_run_around_the_plugins_own_hook() -> None:
    seen: list[str] = []

    class Wrapped:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl(wrapper=True)
        def register_providers(self, register):
            seen.append("before")
            result = yield
            seen.append("after")
            return result

        @aiwire.hookimpl(specname="register_providers")
        def hosts(self, register):
            seen.append("hosts")
            register(aiwire.ProviderSpec(id="wrapped", api="faux", base_url="http://w.invalid", auth="none"))

    aiwire.register_plugin(Wrapped(), "wrapped")
    try:
        assert _plugin_rows()["wrapped"].status == "ok"
        assert seen == ["before", "hosts", "after"]
        assert aiwire.get_provider("wrapped").plugin == "wrapped"
    finally:
        aiwire.unregister_plugin("wrapped")


@pytest.mark.parametrize(
    ("declared", "status", "says"),
    [
        (2, "ok", None),
        ((1, 2), "ok", None),
        (range(2, 4), "ok", None),
        (1, "refused", "built for plugin API 1, but this aiwire 0.1.0 implements plugin API 2; upgrade the plugin"),
        ((3, 4), "refused", "built for plugin API 3, 4, but this aiwire 0.1.0 implements plugin API 2; upgrade aiwire"),
        ("2", "refused", "AIWIRE_PLUGIN_API must be an int or a tuple of ints, not '2'"),
        (True, "refused", "AIWIRE_PLUGIN_API must be an int or a tuple of ints"),
    ],
)
def test_plugin_api_versions(declared: object, status: str, says: str | None) -> None:
    plugin = type("Versioned", (), {"AIWIRE_PLUGIN_API": declared})()
    aiwire.register_plugin(plugin, "versioned")
    try:
        row = _plugin_rows()["versioned"]
        assert row.status == status
        assert row.api == (2 if status == "ok" else None)
        if says is not None:
            assert says in (row.error or "")
    finally:
        aiwire.unregister_plugin("versioned")
