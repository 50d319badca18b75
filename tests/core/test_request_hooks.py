"""Per-request hooks: pluggy order, chaining, and isolation of a raising plugin.

The rule (docs/plugins.md, "When a hook raises"): a plugin that registered the
call's provider, api or login fails the call with its name; any other plugin
is logged (once per plugin and hook) and skipped; observers never fail a call.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import aiwire
from aiwire._demo.builtin import DEMO_MODEL, _demo_transport
from aiwire._plugins.registry import get_registry
from aiwire.errors import MissingCredentialsError, PluginError
from aiwire.plugin import Credentials, ProviderSpec, Request, RequestContext, ResponseInfo, hookimpl
from aiwire.types import AssistantMessage, ImageResult

ACME_MODEL = aiwire.Model(id="acme-1", provider="acme-demo", api="faux", base_url=DEMO_MODEL.base_url)


class Bystander:
    """Registers nothing a call depends on; every request hook raises."""

    AIWIRE_PLUGIN_API = 2

    @hookimpl
    def resolve_credentials(self, provider, model):
        raise RuntimeError("bystander credentials broke")

    @hookimpl
    def prepare_request(self, model, request):
        raise ValueError("bystander broke")

    @hookimpl
    def on_response(self, model, response):
        raise KeyError("bystander observer")

    @hookimpl
    def on_message_end(self, model, message):
        raise KeyError("bystander observer")

    @hookimpl
    def on_images_end(self, model, result):
        raise KeyError("bystander observer")


class Acme:
    """Owns the ``acme-demo`` provider (the demo's offline transport)."""

    AIWIRE_PLUGIN_API = 2

    def __init__(self) -> None:
        self.fail: Exception | None = None
        self.seen: list[str] = []

    @hookimpl
    def register_providers(self, register):
        register(
            ProviderSpec(
                id="acme-demo", api="faux", base_url=DEMO_MODEL.base_url, auth="none", transport=_demo_transport()
            )
        )

    @hookimpl
    def prepare_request(self, model, request, call):
        if self.fail is not None:
            raise self.fail
        assert isinstance(call, RequestContext) and call.request is request
        self.seen.append(f"prepare {model.provider}")

    @hookimpl
    def on_response(self, model, response, call):
        assert isinstance(response, ResponseInfo)
        self.seen.append(f"response {response.status}")

    @hookimpl
    def on_message_end(self, model, message, call):
        self.seen.append(f"end {message.stop_reason}")


@pytest.fixture
def acme() -> Iterator[Acme]:
    plugin = Acme()
    aiwire.register_plugin(plugin, "acme")
    try:
        yield plugin
    finally:
        aiwire.unregister_plugin("acme")


@pytest.fixture
def bystander() -> Iterator[None]:
    aiwire.register_plugin(Bystander(), "bystander")
    try:
        yield
    finally:
        aiwire.unregister_plugin("bystander")


def _warnings(caplog: pytest.LogCaptureFixture, plugin: str) -> list[str]:
    return sorted(
        r.getMessage().split(" failed in ")[1].split(" ")[0]
        for r in caplog.records
        if r.levelno == logging.WARNING and r.getMessage().startswith(f"plugin {plugin!r} failed in ")
    )


def test_a_raising_bystander_is_logged_once_and_skipped(
    acme: Acme, bystander: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiwire")
    for model in (DEMO_MODEL, ACME_MODEL, DEMO_MODEL):
        msg = aiwire.complete_sync(model, "hi")
        assert msg.stop_reason == "stop" and "offline demo" in msg.text
    stream = aiwire.stream_sync(ACME_MODEL, "hi")
    assert stream.result().stop_reason == "stop"
    # Once per plugin and hook, each naming the plugin and the error.
    assert _warnings(caplog, "bystander") == ["on_message_end", "on_response", "prepare_request", "resolve_credentials"]
    text = caplog.text
    assert "ValueError: bystander broke" in text and "RuntimeError: bystander credentials broke" in text
    # The other plugin's hooks saw every call, in order.
    assert acme.seen == [
        *("prepare demo", "response 200", "end stop"),
        *("prepare acme-demo", "response 200", "end stop"),
        *("prepare demo", "response 200", "end stop"),
        *("prepare acme-demo", "response 200", "end stop"),
    ]


def test_an_owner_that_raises_fails_its_own_calls_only(acme: Acme, caplog: pytest.LogCaptureFixture) -> None:
    acme.fail = ValueError("acme broke")
    with pytest.raises(PluginError, match=r"^plugin 'acme' failed in prepare_request: ValueError: acme broke$"):
        aiwire.stream_sync(ACME_MODEL, "hi")
    with pytest.raises(PluginError, match="plugin 'acme' failed in prepare_request"):
        aiwire.complete_sync(ACME_MODEL, "hi")
    # Calls to other providers go on without it.
    assert aiwire.complete_sync(DEMO_MODEL, "hi").stop_reason == "stop"
    assert _warnings(caplog, "acme") == ["prepare_request"]


def test_an_owners_aiwire_error_reaches_the_caller_unchanged(acme: Acme) -> None:
    acme.fail = MissingCredentialsError("log in to acme first: aiwire login acme")
    with pytest.raises(MissingCredentialsError, match="^log in to acme first"):
        aiwire.complete_sync(ACME_MODEL, "hi")


def _ctx(model: aiwire.Model = DEMO_MODEL) -> RequestContext:
    return RequestContext(model, aiwire.Options(), Credentials(kind="none"), Request(url="http://x.invalid/"))


def test_prepare_request_chains_in_pluggy_order() -> None:
    class First:
        AIWIRE_PLUGIN_API = 2

        @hookimpl(tryfirst=True)
        def prepare_request(self, request):
            return Request(url=request.url + "first", headers={"x-first": "1"})

    class Last:
        AIWIRE_PLUGIN_API = 2

        @hookimpl(trylast=True)
        def prepare_request(self, request, call):
            request.headers["x-last"] = "saw " + request.url  # in place: no return value
            call.request.json = {"edited": True}

    # Registered in the "wrong" order on purpose: tryfirst/trylast decide.
    aiwire.register_plugin(Last(), "last")
    aiwire.register_plugin(First(), "first")
    try:
        ctx = _ctx()
        req = get_registry().run_prepare_request(ctx)
    finally:
        aiwire.unregister_plugin("first")
        aiwire.unregister_plugin("last")
    assert req is ctx.request
    assert req.url == "http://x.invalid/first"
    assert dict(req.headers) == {"x-first": "1", "x-last": "saw http://x.invalid/first"}
    assert req.json == {"edited": True}


def test_a_wrong_return_type_is_the_plugins_error(acme: Acme) -> None:
    class Bad:
        AIWIRE_PLUGIN_API = 2

        @hookimpl
        def register_providers(self, register):
            register(ProviderSpec(id="bad-host", api="faux", base_url="http://b.invalid", auth="none"))

        @hookimpl
        def prepare_request(self, model, request):
            return {"url": "nope"} if model.provider == "bad-host" else None

    aiwire.register_plugin(Bad(), "bad")
    try:
        reg = get_registry()
        with pytest.raises(PluginError, match="plugin 'bad' failed in prepare_request: TypeError: returned dict"):
            reg.run_prepare_request(_ctx(aiwire.custom_model("m", provider="bad-host")))
        assert reg.run_prepare_request(_ctx()).url == "http://x.invalid/"
    finally:
        aiwire.unregister_plugin("bad")


def test_resolve_credentials_is_first_result_and_isolated(bystander: None) -> None:
    class Keyring:
        AIWIRE_PLUGIN_API = 2

        def __init__(self) -> None:
            self.asked: list[str] = []

        @hookimpl
        def resolve_credentials(self, provider, model):
            self.asked.append(provider.id)
            return Credentials("from-keyring", source="keyring") if provider.id == "demo" else None

    class Later:
        AIWIRE_PLUGIN_API = 2

        @hookimpl(trylast=True)
        def resolve_credentials(self, provider):
            raise AssertionError("not reached: an earlier hook answered")

    keyring = Keyring()
    aiwire.register_plugin(keyring, "keyring")
    aiwire.register_plugin(Later(), "later")
    try:
        reg = get_registry()
        creds = reg.run_resolve_credentials(reg.providers["demo"], DEMO_MODEL)
    finally:
        aiwire.unregister_plugin("keyring")
        aiwire.unregister_plugin("later")
    assert creds is not None and creds.api_key == "from-keyring"
    assert keyring.asked == ["demo"]


def test_observers_never_fail_a_call(bystander: None, caplog: pytest.LogCaptureFixture) -> None:
    reg = get_registry()
    ctx = _ctx()
    reg.run_on_response(ctx, ResponseInfo(200, {"x-request-id": "r1"}))
    reg.run_on_message_end(ctx, AssistantMessage())
    reg.run_on_images_end(ctx, ImageResult())
    reg.run_on_images_end(ctx, ImageResult())
    assert _warnings(caplog, "bystander") == ["on_images_end", "on_message_end", "on_response"]


def test_a_raising_classify_error_hook_does_not_hide_the_answer(caplog: pytest.LogCaptureFixture) -> None:
    class Classifiers:
        AIWIRE_PLUGIN_API = 2

        @hookimpl
        def classify_error(self, message):
            raise RuntimeError("classifier broke")

    class Knows:
        AIWIRE_PLUGIN_API = 2

        @hookimpl
        def classify_error(self, message):
            return "rate_limited" if "slow down" in (message.error_message or "") else None

    aiwire.register_plugin(Classifiers(), "broken-classifier")
    aiwire.register_plugin(Knows(), "knows")
    try:
        msg = AssistantMessage(stop_reason="error", error_message="acme: slow down please")
        assert aiwire.is_rate_limited(msg)
        assert not aiwire.is_auth_error(msg)
    finally:
        aiwire.unregister_plugin("broken-classifier")
        aiwire.unregister_plugin("knows")
    assert _warnings(caplog, "broken-classifier") == ["classify_error"]


def test_owners_of_a_call() -> None:
    reg = get_registry()
    assert reg.owners(DEMO_MODEL) == {"aiwire"}
    if "google-gemini-cli" in reg.providers:
        model = aiwire.custom_model("gemini-2.5-pro", provider="google-gemini-cli")
        assert {"aiwire", "oauth-google"} <= reg.owners(model)
