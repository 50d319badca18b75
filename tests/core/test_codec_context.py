"""A codec that wraps another api's codec through the public CodecContext and
WrappedDecoder: no registry import, no monkeypatching."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import aiwire
from aiwire._demo.builtin import DEMO_MODEL, _demo_transport
from aiwire._plugins.registry import get_registry
from aiwire.errors import PluginError, UnknownApiError
from aiwire.plugin import (
    CODEC_OPTIONS,
    BaseCodec,
    Codec,
    CodecContext,
    Credentials,
    Options,
    ProviderSpec,
    RegisterApi,
    RegisterProvider,
    Request,
    StreamDecoder,
    WrappedDecoder,
    hookimpl,
)
from aiwire.types import Context, Model


class ShoutDecoder(WrappedDecoder):
    """Upper-cases the text deltas of the faux wire before the faux decoder sees them."""

    def feed(self, event: str, data: bytes) -> None:
        chunk = json.loads(data)
        if chunk.get("type") == "block_delta":
            chunk["delta"] = chunk["delta"].upper()
        self.inner.feed(event, json.dumps(chunk).encode())


class ShoutCodec(BaseCodec):
    api = "shout"
    supported_options = CODEC_OPTIONS

    def __init__(self, context: CodecContext) -> None:
        self.context = context

    @property
    def inner(self) -> Codec:
        return self.context.codec("faux")

    def build_request(
        self, model: Model, context: Context, options: Options, credentials: Credentials, *, stream: bool = True
    ) -> Request:
        req = self.inner.build_request(model, context, options, credentials, stream=stream)
        req.headers["x-shout"] = "1"
        return req

    def decoder(self, model: Model, options: Options) -> StreamDecoder:
        return ShoutDecoder(self.inner.decoder(model, options))


def whisper_factory(context: CodecContext) -> Codec:
    """A function factory: builds the codec from the context it is given."""
    codec = ShoutCodec(context)
    codec.api = "whisper"
    return codec


class ShoutPlugin:
    AIWIRE_PLUGIN_API = 2

    @hookimpl
    def register_apis(self, register: RegisterApi) -> None:
        register("shout", ShoutCodec)
        register("whisper", whisper_factory)
        register("needs-missing", lambda context: context.codec("no-such-api"))
        register("loop-a", lambda context: context.codec("loop-b"))
        register("loop-b", lambda context: context.codec("loop-a"))

    @hookimpl
    def register_providers(self, register: RegisterProvider) -> None:
        register(
            ProviderSpec(
                id="shouty", api="shout", base_url=DEMO_MODEL.base_url, auth="none", transport=_demo_transport()
            )
        )


@pytest.fixture(autouse=True)
def shout_plugin() -> Iterator[None]:
    aiwire.register_plugin(ShoutPlugin(), "shout-plugin")
    try:
        yield
    finally:
        aiwire.unregister_plugin("shout-plugin")


def test_a_wrapping_codec_streams_end_to_end() -> None:
    model = aiwire.custom_model("shout-1", provider="shouty")
    events = list(aiwire.stream_sync(model, "hello"))
    msg = events[-1].message
    assert msg.stop_reason == "stop", msg.error_message
    assert "OFFLINE DEMO" in msg.text and "offline demo" not in msg.text
    deltas = "".join(e.delta for e in events if type(e).__name__ == "TextDelta")
    assert deltas == msg.text
    # The context's lookup is the registry's own cache.
    reg = get_registry()
    assert reg.codec("shout").inner is reg.codec("faux")
    assert reg.codec("shout").context.api == "shout" and reg.codec("shout").context.plugin == "shout-plugin"


def test_function_factories_get_the_context_too() -> None:
    codec = get_registry().codec("whisper")
    assert isinstance(codec, ShoutCodec) and codec.api == "whisper"


def test_a_missing_inner_api_names_both_apis() -> None:
    with pytest.raises(UnknownApiError, match="the 'needs-missing' codec needs the api 'no-such-api'"):
        get_registry().codec("needs-missing")


def test_codecs_that_need_each_other_while_built_are_reported() -> None:
    with pytest.raises(PluginError, match="loop-a -> loop-b -> loop-a"):
        get_registry().codec("loop-a")


def test_codecs_built_by_many_threads_at_once() -> None:
    from concurrent.futures import ThreadPoolExecutor

    reg = get_registry()
    with ThreadPoolExecutor(8) as pool:
        codecs = list(pool.map(lambda _: reg.codec("shout"), range(32)))
    assert all(c is codecs[0] for c in codecs)
    assert codecs[0].inner is reg.codec("faux")


def test_a_context_from_a_mapping_for_unit_tests() -> None:
    faux = get_registry().codec("faux")
    codec = ShoutCodec(CodecContext({"faux": faux}, api="shout"))
    req = codec.build_request(DEMO_MODEL, Context(), Options(), Credentials(kind="none"))
    assert req.headers["x-shout"] == "1"
    ctx = CodecContext({"faux": faux})
    assert ctx.has_api("faux") and not ctx.has_api("other")
    with pytest.raises(UnknownApiError, match="available: faux"):
        ctx.codec("other")
    assert get_registry().codec("shout").context.has_api("faux")


def test_the_wrapper_and_the_inner_decoder_share_one_state() -> None:
    inner = get_registry().codec("faux").decoder(DEMO_MODEL, Options())
    outer = ShoutDecoder(inner)
    assert outer.message is inner.message and outer.model is DEMO_MODEL
    i = outer.open_text("hi")
    assert inner.is_open(i) and outer.snapshot().text == "hi"
    outer.fail("boom", error_type="x")
    assert inner.terminated and outer.terminated and inner.message.error_message == "boom"
    kinds = [type(e).__name__ for e in outer.drain()]
    assert kinds == ["TextStart", "TextDelta", "TextEnd", "Error"]
    assert inner.events == [] and outer.events == []


def test_plain_codec_objects_and_classes_still_register() -> None:
    built: list[Any] = []

    class NoArgs(BaseCodec):
        api = "no-args"
        supported_options = CODEC_OPTIONS

        def __init__(self) -> None:
            built.append(self)

    instance = NoArgs()

    class Plugin:
        AIWIRE_PLUGIN_API = 2

        @hookimpl
        def register_apis(self, register: RegisterApi) -> None:
            register("no-args", NoArgs)
            register("instance", instance)

    aiwire.register_plugin(Plugin(), "plain")
    try:
        assert isinstance(get_registry().codec("no-args"), NoArgs)
        assert get_registry().codec("instance") is instance
    finally:
        aiwire.unregister_plugin("plain")
