from __future__ import annotations

import pytest

import aiwire
from aiwire.errors import BadOptionsError, UnknownModelError, UnknownProviderError
from aiwire.testing import FauxProvider


def test_get_model_both_forms(faux: FauxProvider) -> None:
    assert aiwire.get_model("faux", "faux-1") is aiwire.get_model("faux/faux-1")


def test_unknown_model_lists_near_matches(faux: FauxProvider) -> None:
    with pytest.raises(
        UnknownModelError, match=r"unknown model faux/faux-2\. Did you mean: faux-1\?.*aiwire models --provider faux"
    ):
        aiwire.get_model("faux/faux-2")


def test_unknown_provider_says_which_plugin_to_install() -> None:
    with pytest.raises(UnknownProviderError, match="unknown provider 'dmeo'. Did you mean demo"):
        aiwire.get_model("dmeo/claude")
    # A known vendor whose plugin is not installed: the message names the package
    # (declared by aiwire's built-in plugin, as any plugin declares its hints).
    with aiwire.Client(plugins=[]) as client, pytest.raises(UnknownProviderError, match="pip install aiwire-google"):
        client.get_model("google/gemini-2.5-flash")


def test_malformed_reference() -> None:
    for ref in ("claude", "/x", "x/"):
        with pytest.raises(
            UnknownModelError,
            match="(malformed model reference|neither provider/model-id nor an alias).*provider/model-id",
        ):
            aiwire.get_model(ref)


def test_model_ids_may_contain_slashes(faux: FauxProvider) -> None:
    model = aiwire.custom_model("meta/llama-3", provider="faux")
    assert model.ref == "faux/meta/llama-3" and model.api == "faux"


def test_custom_model_needs_api_and_base_url() -> None:
    with pytest.raises(BadOptionsError, match="needs api= and base_url="):
        aiwire.custom_model("x")
    m = aiwire.custom_model("x", api="faux", base_url="http://h:1/v1/", compat={"a": 1})
    assert (m.provider, m.base_url, m.compat) == ("custom", "http://h:1/v1", {"a": 1})


def test_open_catalog_providers_accept_any_model() -> None:
    class Local:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl
        def register_providers(self, register):
            register(
                aiwire.ProviderSpec(
                    id="localish", api="faux", base_url="http://127.0.0.1:9", auth="none", compat={"open_catalog": True}
                )
            )

    aiwire.register_plugin(Local(), "localish")
    try:
        m = aiwire.get_model("localish/llama3.1:8b")
        assert (m.id, m.api, m.base_url, m.compat) == (
            "llama3.1:8b",
            "faux",
            "http://127.0.0.1:9",
            {"open_catalog": True},
        )
    finally:
        aiwire.unregister_plugin("localish")


def test_models_and_providers_listing(faux: FauxProvider) -> None:
    found = aiwire.models()
    refs = [m.ref for m in found]
    assert found == sorted(found, key=lambda m: (m.provider, m.id))
    assert "faux/faux-1" in refs and "demo/aiwire-demo" in refs
    assert [m.ref for m in aiwire.models("faux")] == ["faux/faux-1"]
    assert {"demo", "faux"} <= {p.id for p in aiwire.providers()}
    with pytest.raises(UnknownProviderError):
        aiwire.models("nope")
