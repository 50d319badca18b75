"""Image generation through the core: capability checks, options, errors,
retries, hooks and cancellation, driven by the faux api and the demo model."""

from __future__ import annotations

import asyncio
import base64
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest

import aiwire
from aiwire import errors
from aiwire._demo.faux import FauxCodec, FauxReply
from aiwire._wire.codec import Request, image_prompt, make_usage
from aiwire.testing import FauxProvider, image, text
from aiwire.types import Context, ImageContent, ImageResult, ModelCost, TextContent, Usage, UserMessage


@pytest.fixture
def painter() -> Iterator[FauxProvider]:
    with FauxProvider("painter", output=("text", "image"), cost=ModelCost(input=5.0, output=40.0)) as provider:
        yield provider


def read_png(b64: str) -> tuple[int, int, int, bytes]:
    """(width, height, channels, raw scanlines) of a PNG, checking its structure."""
    data = base64.b64decode(b64)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8
    channels = {2: 3, 6: 4}[color]
    raw = zlib.decompress(idat)
    assert len(raw) == height * (1 + width * channels)
    return width, height, channels, raw


# -- the demo model ---------------------------------------------------------------


def test_demo_draws_the_asked_shape_and_colour() -> None:
    result = aiwire.generate_images_sync("demo/aiwire-demo-image", "a red circle", size="64x48")
    assert result.stop_reason == "stop"
    assert result.provider == "demo" and result.model == "aiwire-demo-image"
    assert "offline demo" in result.text and "red circle" in result.text
    [img] = result.images
    assert img.mime_type == "image/png"
    width, height, channels, raw = read_png(img.data)
    assert (width, height, channels) == (64, 48, 3)
    row = 1 + width * 3
    centre = raw[24 * row + 1 + 32 * 3 : 24 * row + 1 + 33 * 3]
    corner = raw[1:4]
    assert centre == bytes((220, 40, 40)) and corner == b"\xff\xff\xff"
    assert result.usage is not None and result.usage.output == 100


async def test_demo_async_count_and_transparent_background() -> None:
    result = await aiwire.generate_images(
        "demo/aiwire-demo-image", "three green squares", count=3, background="transparent"
    )
    assert len(result.images) == 3
    assert {read_png(i.data)[2] for i in result.images} == {4}
    # each image is drawn at a different scale, so they differ
    assert len({i.data for i in result.images}) == 3


def test_demo_refuses_formats_it_cannot_draw() -> None:
    result = aiwire.generate_images_sync("demo/aiwire-demo-image", "a cat", output_format="webp")
    assert result.stop_reason == "error" and "PNG only" in (result.error_message or "")
    with pytest.raises(errors.ProviderError, match="PNG only"):
        aiwire.generate_images_sync("demo/aiwire-demo-image", "a cat", output_format="webp", check=True)


# -- success through a scripted provider -----------------------------------------


def test_images_text_usage_and_cost(painter: FauxProvider) -> None:
    painter.reply(text("here you go"), image(b"one"), image(b"two", "image/webp"), usage=Usage(input=10, output=1000))
    result = aiwire.generate_images_sync(
        painter.model, "a fox", size="1024x1024", count=2, quality="high", seed=7, provider_options={"style": "x"}
    )
    assert result.text == "here you go"
    assert [base64.b64decode(i.data) for i in result.images] == [b"one", b"two"]
    assert result.images[1].mime_type == "image/webp"
    assert result.usage is not None
    assert result.usage.total == 1010
    assert result.usage.cost.total == pytest.approx((10 * 5 + 1000 * 40) / 1e6)
    sent = painter.requests[0]
    assert sent["url"].endswith("/images")
    assert sent["json"]["options"] == {"size": "1024x1024", "count": 2, "quality": "high", "seed": 7}
    assert sent["json"]["style"] == "x"


def test_context_with_input_images_is_sent(painter: FauxProvider) -> None:
    painter.reply(image(b"edited"))
    ctx = Context(messages=[UserMessage(content=[TextContent(text="make it blue"), image(b"src")])])
    result = aiwire.generate_images_sync(painter.model, ctx)
    assert result.stop_reason == "stop"
    blocks = painter.requests[0]["json"]["context"]["messages"][0]["content"]
    assert [b["type"] for b in blocks] == ["text", "image"]


def test_result_round_trips_through_json(painter: FauxProvider) -> None:
    painter.reply(text("t"), image(b"x"))
    result = aiwire.generate_images_sync(painter.model, "p")
    assert aiwire.loads(aiwire.dumps(result), ImageResult) == result


# -- bad input fails before any request --------------------------------------------


def test_model_without_image_output(faux: FauxProvider) -> None:
    with pytest.raises(errors.BadOptionsError, match="cannot generate images"):
        aiwire.generate_images_sync(faux.model, "a fox")
    assert faux.requests == []


def test_input_image_to_a_text_only_model() -> None:
    with FauxProvider("blind", input=("text",), output=("image",)) as blind:
        ctx = Context(messages=[UserMessage(content=[TextContent(text="edit"), image()])])
        with pytest.raises(errors.BadOptionsError, match="takes no input images"):
            aiwire.generate_images_sync(blind.model, ctx)
        assert blind.requests == []


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"max_tokens": 5}, "unknown image option"),
        ({"count": 0}, "bad image option"),
        ({"output_format": "bmp"}, "bad image option"),
        ({"size": 512}, "bad image option"),
    ],
)
def test_bad_options(painter: FauxProvider, options: dict[str, Any], match: str) -> None:
    with pytest.raises(errors.BadOptionsError, match=match):
        aiwire.generate_images_sync(painter.model, "a fox", **options)
    assert painter.requests == []


def test_empty_prompt_and_tools_are_refused(painter: FauxProvider) -> None:
    with pytest.raises(errors.BadOptionsError, match="needs a prompt"):
        aiwire.generate_images_sync(painter.model, Context(messages=[UserMessage(content="  ")]))
    ctx = Context(messages=[UserMessage(content="x")], tools=[aiwire.Tool(name="t")])
    with pytest.raises(errors.BadOptionsError, match="no tools"):
        aiwire.generate_images_sync(painter.model, ctx)


class _SizeOnly(FauxCodec):
    api = "faux-size-only"
    image_options = frozenset({"size"})


class _ChatOnly(FauxCodec):
    api = "faux-chat-only"
    build_image_request = None  # type: ignore[assignment]


class _Codecs:
    AIWIRE_PLUGIN_API = 2

    @aiwire.hookimpl
    def register_apis(self, register: Any) -> None:
        register("faux-size-only", _SizeOnly)
        register("faux-chat-only", _ChatOnly)


@pytest.fixture
def codecs() -> Iterator[None]:
    aiwire.register_plugin(_Codecs(), "test-image-codecs")
    yield
    aiwire.unregister_plugin("test-image-codecs")


def test_option_the_api_does_not_support(painter: FauxProvider, codecs: None) -> None:
    model = aiwire.Model(
        id="m", provider="custom", api="faux-size-only", base_url="http://x.invalid", output=("image",)
    )
    painter.reply(image())
    ok = aiwire.generate_images_sync(model, "p", size="64x64", transport=painter.transport)
    assert ok.stop_reason == "stop", ok.error_message
    with pytest.raises(errors.BadOptionsError, match=r"does not support image option.*quality"):
        aiwire.generate_images_sync(model, "p", quality="high", transport=painter.transport)


def test_image_api_from_compat(painter: FauxProvider, codecs: None) -> None:
    chat_only = aiwire.Model(
        id="m", provider="painter", api="faux-chat-only", base_url="http://x.invalid", output=("text", "image")
    )
    with pytest.raises(errors.BadOptionsError, match="cannot generate images"):
        aiwire.generate_images_sync(chat_only, "p")
    routed = msgspec.structs.replace(chat_only, compat={"image_api": "faux"})
    painter.reply(image())
    result = aiwire.generate_images_sync(routed, "p")
    assert result.stop_reason == "stop" and result.api == "faux"


# -- provider failures are results --------------------------------------------------


def test_refusal_is_an_error_result(painter: FauxProvider) -> None:
    painter.reply(FauxReply(error="your request was rejected by the safety system", error_type="moderation_blocked"))
    result = aiwire.generate_images_sync(painter.model, "p")
    assert result.stop_reason == "error"
    assert result.error_message == "your request was rejected by the safety system"
    assert result.error_type == "moderation_blocked"
    assert result.images == []


def test_http_error_is_an_error_result(painter: FauxProvider) -> None:
    painter.reply(FauxReply(status=400, error="size must be one of 1024x1024", error_type="invalid_request_error"))
    result = aiwire.generate_images_sync(painter.model, "p")
    assert (result.stop_reason, result.error_status, result.error_type) == ("error", 400, "invalid_request_error")
    assert result.error_message == "size must be one of 1024x1024"


async def test_retries_then_succeeds(painter: FauxProvider) -> None:
    painter.reply(FauxReply(status=429, error="slow down", headers={"retry-after": "0"}))
    painter.reply(image(b"ok"))
    retries: list[tuple[int, str]] = []
    result = await aiwire.generate_images(painter.model, "p", on_retry=lambda n, d, why: retries.append((n, why)))
    assert result.stop_reason == "stop" and retries == [(1, "HTTP 429")]


def test_sync_retries_are_bounded(painter: FauxProvider) -> None:
    for _ in range(2):
        painter.reply(FauxReply(status=503, error="busy", headers={"retry-after": "0"}))
    result = aiwire.generate_images_sync(painter.model, "p", max_retries=1)
    assert (result.stop_reason, result.error_status, len(painter.requests)) == ("error", 503, 2)


class _Down(httpx.BaseTransport, httpx.AsyncBaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")


async def test_transport_failure_is_an_error_result(painter: FauxProvider) -> None:
    for result in (
        aiwire.generate_images_sync(painter.model, "p", transport=_Down(), max_retries=0),
        await aiwire.generate_images(painter.model, "p", transport=_Down(), max_retries=0),
    ):
        assert result.stop_reason == "error"
        assert "ConnectError: connection refused" in (result.error_message or "")


def test_undecodable_body_is_an_error_result(painter: FauxProvider) -> None:
    def bad(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>not json</html>")

    result = aiwire.generate_images_sync(painter.model, "p", transport=httpx.MockTransport(bad))
    assert result.stop_reason == "error" and "could not decode the faux response" in (result.error_message or "")


# -- hooks -------------------------------------------------------------------------


class _Observer:
    AIWIRE_PLUGIN_API = 2

    def __init__(self) -> None:
        self.seen: list[str] = []

    @aiwire.hookimpl
    def prepare_request(self, model: aiwire.Model, request: Request) -> None:
        request.headers["x-traced"] = "1"
        self.seen.append("prepare")

    @aiwire.hookimpl
    def on_response(self, model: aiwire.Model, response: httpx.Response) -> None:
        self.seen.append(f"response {response.status_code}")

    @aiwire.hookimpl
    def on_images_end(self, model: aiwire.Model, result: ImageResult) -> None:
        self.seen.append(f"end {result.stop_reason} {len(result.images)}")


def test_hooks_and_callbacks(painter: FauxProvider) -> None:
    observer = _Observer()
    aiwire.register_plugin(observer, "test-image-observer")
    try:
        painter.reply(image())
        payloads: list[Request] = []
        aiwire.generate_images_sync(
            painter.model, "p", headers={"x-extra": "2"}, api_key="sk-test", on_payload=lambda m, r: payloads.append(r)
        )
    finally:
        aiwire.unregister_plugin("test-image-observer")
    assert observer.seen == ["prepare", "response 200", "end stop 1"]
    headers = painter.requests[0]["headers"]
    assert headers["x-traced"] == "1" and headers["x-extra"] == "2"
    assert headers["authorization"] == "Bearer sk-test"
    assert "sk-test" not in repr(payloads[0])


# -- cancellation -------------------------------------------------------------------


async def test_abort_while_waiting() -> None:
    with FauxProvider("slow", output=("image",)) as slow:
        slow.reply(FauxReply(images=[image()], delay=5.0))
        job = aiwire.generate_images(slow.model, "p")
        task = asyncio.create_task(job.result())
        await asyncio.sleep(0.05)
        job.abort()
        result = await asyncio.wait_for(task, 2)
    assert (result.stop_reason, result.error_message) == ("aborted", "aborted")


async def test_abort_before_start_and_plain_cancellation(painter: FauxProvider) -> None:
    job = aiwire.generate_images(painter.model, "p")
    job.abort()
    result = await job
    assert result.stop_reason == "aborted" and painter.requests == []
    painter.reply(FauxReply(images=[image()], delay=5.0))
    task = asyncio.create_task(aiwire.generate_images(painter.model, "p").result())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# -- codec helpers ------------------------------------------------------------------


def test_image_prompt_collects_user_text_and_images() -> None:
    img = ImageContent(data="aGk=", mime_type="image/png")
    ctx = Context(
        system_prompt="house style: flat",
        messages=[
            UserMessage(content="a fox"),
            aiwire.AssistantMessage(content=[TextContent(text="ignored")]),
            UserMessage(content=[TextContent(text="in the snow"), img]),
        ],
    )
    assert image_prompt(ctx) == ("house style: flat\n\na fox\n\nin the snow", [img])


def test_make_usage_prefers_the_reported_cost() -> None:
    model = aiwire.Model(id="m", provider="p", api="a", base_url="u", cost=ModelCost(input=1.0, output=2.0))
    computed = make_usage(model, input=1_000_000, output=1_000_000)
    assert (computed.total, computed.cost.total) == (2_000_000, 3.0)
    assert make_usage(model, input=10, output=10, cost=0.04).cost.total == 0.04


async def test_abort_while_waiting_to_retry(painter: FauxProvider) -> None:
    painter.reply(FauxReply(status=503, error="busy", headers={"retry-after": "5"}))
    job = aiwire.generate_images(painter.model, "p")
    task = asyncio.create_task(job.result())
    await asyncio.sleep(0.05)
    job.abort()
    result = await asyncio.wait_for(task, 2)
    assert (result.stop_reason, result.error_message) == ("aborted", "aborted while waiting to retry")
    assert len(painter.requests) == 1


async def test_check_raises_for_async_jobs(painter: FauxProvider) -> None:
    painter.reply(FauxReply(status=400, error="bad size"))
    with pytest.raises(errors.ProviderError, match="HTTP 400: bad size"):
        await aiwire.generate_images(painter.model, "p", check=True)


# -- client defaults ----------------------------------------------------------------


async def test_a_clients_chat_defaults_stay_out_of_its_image_calls(painter: FauxProvider) -> None:
    """Chat defaults (sampling, chat body fields) are not image options; the
    core ones (credentials, headers, retries) still apply."""
    defaults = {
        "temperature": 0.2,
        "max_tokens": 50,
        "provider_options": {"chat_only": True},
        "headers": {"x-default": "1"},
        "api_key": "sk-default",
        "max_retries": 0,
    }
    painter.reply(image(b"sync"))
    painter.reply(image(b"async"))
    with aiwire.Client(options=defaults) as client:
        result = client.generate_images(painter.model, "a fox", size="256x256", check=True)
    async with aiwire.AsyncClient(options=defaults) as aclient:
        aresult = await aclient.generate_images(painter.model, "a fox", provider_options={"style": "x"}, check=True)
    assert [base64.b64decode(i.data) for i in (*result.images, *aresult.images)] == [b"sync", b"async"]
    sent, asent = painter.requests
    assert sent["json"]["options"] == {"size": "256x256"} and "chat_only" not in sent["json"]
    assert asent["json"]["style"] == "x" and "chat_only" not in asent["json"]
    for req in (sent, asent):
        assert req["headers"]["x-default"] == "1" and req["headers"]["authorization"] == "Bearer sk-default"

    painter.reply(text("hi"))
    with aiwire.Client(options=defaults) as client:  # chat calls still get every default
        client.complete(painter.model, "hi", check=True)
    chat = painter.requests[-1]["json"]
    assert chat["options"]["temperature"] == 0.2 and chat["chat_only"] is True
