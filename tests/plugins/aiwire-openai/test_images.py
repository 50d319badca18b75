"""The image codecs without HTTP: option mapping, request shapes, whole-body decoding."""

from __future__ import annotations

import base64
import email
import json
from typing import Any

import httpx
import msgspec
import pytest

import aiwire
from aiwire import errors
from aiwire._wire.codec import Credentials, ImageOptions
from aiwire.types import Context, ImageContent, Model, TextContent, UserMessage
from aiwire_openai.images import OpenAIImagesCodec, OpenRouterImagesCodec, aspect_ratio, multipart, sniff_mime

KEY = Credentials("sk-test")
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nrest").decode()
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0rest").decode()
WEBP = base64.b64encode(b"RIFF\x10\x00\x00\x00WEBPVP8 rest").decode()


def _model(ref: str) -> Model:
    return aiwire.get_model(ref)


def _or_model() -> Model:
    m = _model("openrouter/google/gemini-2.5-flash-image")
    return msgspec.structs.replace(m, api="openrouter-images")


def _ctx(*images: ImageContent, text: str = "a red circle") -> Context:
    return Context(messages=[UserMessage(content=[TextContent(text=text), *images])])


def _never(request: httpx.Request) -> httpx.Response:
    raise AssertionError("no request may be sent")


NO_NETWORK = httpx.MockTransport(_never)

# -- catalog and capability ----------------------------------------------------------


def test_catalog_marks_image_models() -> None:
    gpt = _model("openai/gpt-image-1")
    assert (gpt.api, gpt.output) == ("openai-images", ("image",))
    gemini = _model("openrouter/google/gemini-2.5-flash-image")
    assert gemini.api == "openai-completions" and gemini.compat["image_api"] == "openrouter-images"
    assert "image" in gemini.output and "text" in gemini.output
    assert _model("xai/grok-imagine-image").compat["image_options"] == ["count", "provider_options"]


def test_chat_call_to_an_image_model_is_refused() -> None:
    with pytest.raises(errors.BadOptionsError, match=r"call aiwire\.generate_images"):
        aiwire.complete_sync("openai/gpt-image-1", "hi", api_key="sk-test", transport=NO_NETWORK)


@pytest.mark.parametrize(
    ("ref", "options", "match"),
    [
        ("openai/gpt-image-1", {"seed": 3}, "does not support image option.*seed"),
        ("xai/grok-imagine-image", {"size": "1024x1024"}, "does not support image option.*size"),
        ("openrouter/google/gemini-2.5-flash-image", {"count": 2}, "does not support image option.*count"),
        ("openrouter/google/gemini-2.5-flash-image", {"quality": "high"}, "does not support image option.*quality"),
        ("openai/gpt-4o", {}, "cannot generate images"),
    ],
)
def test_unsupported_options_fail_before_any_request(ref: str, options: dict[str, Any], match: str) -> None:
    with pytest.raises(errors.BadOptionsError, match=match):
        aiwire.generate_images_sync(ref, "p", api_key="sk-test", transport=NO_NETWORK, **options)


def test_input_image_to_a_model_that_takes_none() -> None:
    with pytest.raises(errors.BadOptionsError, match="takes no input images"):
        aiwire.generate_images_sync(
            "xai/grok-imagine-image", _ctx(ImageContent(data=PNG, mime_type="image/png")), transport=NO_NETWORK
        )


# -- openai-images requests ------------------------------------------------------------


def test_generation_maps_every_option() -> None:
    opts = ImageOptions(
        size="1536x1024", count=3, quality="high", output_format="webp", background="opaque",
        provider_options={"moderation": "low", "output_compression": 80},
    )  # fmt: skip
    req = OpenAIImagesCodec().build_image_request(_model("openai/gpt-image-1"), _ctx(), opts, KEY)
    assert req.url == "https://api.openai.com/v1/images/generations"
    assert req.headers["authorization"] == "Bearer sk-test"
    assert req.json == {
        "model": "gpt-image-1",
        "prompt": "a red circle",
        "n": 3,
        "size": "1536x1024",
        "quality": "high",
        "output_format": "webp",
        "background": "opaque",
        "moderation": "low",
        "output_compression": 80,
    }


def test_response_format_only_where_it_is_accepted() -> None:
    codec = OpenAIImagesCodec()
    dalle = aiwire.custom_model("dall-e-3", provider="openai", api="openai-images")
    assert codec.build_image_request(dalle, _ctx(), ImageOptions(), KEY).json["response_format"] == "b64_json"
    local = aiwire.custom_model("sd-turbo", api="openai-images", base_url="http://127.0.0.1:8080/v1")
    assert codec.build_image_request(local, _ctx(), ImageOptions(), KEY).json["response_format"] == "b64_json"
    quiet = msgspec.structs.replace(local, compat={"response_format": False})
    assert "response_format" not in codec.build_image_request(quiet, _ctx(), ImageOptions(), KEY).json
    gpt = _model("openai/gpt-image-1")
    assert "response_format" not in codec.build_image_request(gpt, _ctx(), ImageOptions(), KEY).json


def test_azure_deployment_url_and_key_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_RESOURCE_NAME", "acme")
    model = _model("azure/gpt-image-1")
    opts = ImageOptions(provider_options={"azure_deployment": "paint", "azure_api_version": "2025-04-01-preview"})
    req = OpenAIImagesCodec().build_image_request(model, _ctx(), opts, KEY)
    assert req.url == "https://acme.openai.azure.com/openai/v1/images/generations?api-version=2025-04-01-preview"
    assert req.headers["api-key"] == "sk-test" and "authorization" not in req.headers
    assert req.json == {"model": "paint", "prompt": "a red circle"}


def _form(content: bytes, content_type: str) -> list[tuple[str, str | None, bytes]]:
    msg = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + content)
    return [
        (part.get_param("name", header="content-disposition"), part.get_filename(), part.get_payload(decode=True))
        for part in msg.get_payload()
    ]


def test_edit_is_multipart_with_every_image() -> None:
    images = [ImageContent(data=PNG, mime_type="image/png"), ImageContent(data=JPEG, mime_type="image/jpeg")]
    opts = ImageOptions(count=2, quality="low")
    req = OpenAIImagesCodec().build_image_request(_model("openai/gpt-image-1"), _ctx(*images), opts, KEY)
    assert req.url.endswith("/images/edits") and req.json is None and req.content is not None
    parts = _form(req.content, req.headers["content-type"])
    assert [(n, v) for n, f, v in parts if f is None] == [
        ("model", b"gpt-image-1"),
        ("prompt", b"a red circle"),
        ("n", b"2"),
        ("quality", b"low"),
    ]
    files = [(n, f, v) for n, f, v in parts if f is not None]
    assert files == [
        ("image[]", "image-1.png", base64.b64decode(PNG)),
        ("image[]", "image-2.jpg", base64.b64decode(JPEG)),
    ]


def test_single_edit_image_uses_the_plain_field_name() -> None:
    body, ctype = multipart({"prompt": "x"}, [ImageContent(data=PNG, mime_type="image/png")])
    assert [n for n, f, _ in _form(body, ctype) if f] == ["image"]


def test_image_only_prompt_is_refused_by_openai_images() -> None:
    ctx = Context(messages=[UserMessage(content=[ImageContent(data=PNG, mime_type="image/png")])])
    with pytest.raises(errors.BadOptionsError, match="needs a text prompt"):
        OpenAIImagesCodec().build_image_request(_model("openai/gpt-image-1"), ctx, ImageOptions(), KEY)


# -- openai-images responses -----------------------------------------------------------


def _parse_openai(body: Any, **opts: Any) -> aiwire.ImageResult:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return OpenAIImagesCodec().parse_image_response(_model("openai/gpt-image-1"), ImageOptions(**opts), raw)


def test_decodes_images_usage_and_extras() -> None:
    result = _parse_openai(
        {
            "created": 1,
            "data": [{"b64_json": PNG, "revised_prompt": "a crimson circle"}, {"b64_json": JPEG}],
            "usage": {
                "input_tokens": 50,
                "input_tokens_details": {"text_tokens": 10, "image_tokens": 40, "cached_tokens": 20},
                "output_tokens": 4160,
                "total_tokens": 4210,
            },
            "size": "1024x1024",
        }
    )
    assert [i.mime_type for i in result.images] == ["image/png", "image/jpeg"]
    assert result.provider_data == {"revised_prompts": ["a crimson circle"], "size": "1024x1024"}
    assert result.usage is not None
    assert (result.usage.input, result.usage.cache_read, result.usage.output) == (30, 20, 4160)


def test_mime_type_from_bytes_then_format() -> None:
    assert sniff_mime(WEBP) == "image/webp"
    assert sniff_mime(base64.b64encode(b"GIF89a....").decode()) == "image/gif"
    assert sniff_mime("AAAA", "jpeg") == "image/jpeg"
    assert sniff_mime("not base64!") == "image/png"


def test_url_only_answer_is_an_error_that_keeps_the_urls() -> None:
    result = _parse_openai({"data": [{"url": "https://img.example/1.png"}]})
    assert result.stop_reason == "error" and "image URLs" in (result.error_message or "")
    assert result.provider_data == {"urls": ["https://img.example/1.png"]}


def test_error_inside_a_200_body_and_empty_data() -> None:
    result = _parse_openai({"error": {"message": "model busy", "code": "overloaded"}})
    assert (result.stop_reason, result.error_message, result.error_type) == ("error", "model busy", "overloaded")
    empty = _parse_openai({"created": 1, "data": []})
    assert (empty.stop_reason, empty.error_message) == ("error", "the response holds no image")


def test_undecodable_body_becomes_an_error_result() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>gateway</html>")

    result = aiwire.generate_images_sync(
        "openai/gpt-image-1", "p", api_key="sk-test", transport=httpx.MockTransport(answer)
    )
    assert result.stop_reason == "error"
    assert (result.error_message or "").startswith("could not decode the openai-images response")


# -- openrouter-images -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "config"),
    [
        ("1024x1024", {"aspect_ratio": "1:1"}),
        ("1920x1080", {"aspect_ratio": "16:9"}),
        ("1080x1920", {"aspect_ratio": "9:16"}),
        ("1536x1024", {"aspect_ratio": "3:2"}),
        ("3000x1000", {"aspect_ratio": "21:9"}),
        ("4:5", {"aspect_ratio": "4:5"}),
        ("2k", {"image_size": "2K"}),
        ("auto", {}),
    ],
)
def test_size_to_image_config(size: str, config: dict[str, str]) -> None:
    assert aspect_ratio(size) == config


@pytest.mark.parametrize("size", ["big", "0x10", "16/9"])
def test_bad_sizes(size: str) -> None:
    with pytest.raises(errors.BadOptionsError, match="OpenRouter takes"):
        aspect_ratio(size)


def test_openrouter_request() -> None:
    img = ImageContent(data=PNG, mime_type="image/png")
    ctx = Context(system_prompt="flat style", messages=[UserMessage(content=[TextContent(text="recolour"), img])])
    opts = ImageOptions(size="16:9", seed=42, provider_options={"image_config": {"aspect_ratio": "1:1"}})
    req = OpenRouterImagesCodec().build_image_request(_or_model(), ctx, opts, KEY)
    assert req.url == "https://openrouter.ai/api/v1/chat/completions"
    body = req.json
    assert body["modalities"] == ["image", "text"] and body["stream"] is False and body["seed"] == 42
    assert body["image_config"] == {"aspect_ratio": "1:1"}  # provider_options win, last
    assert body["messages"][0] == {"role": "system", "content": "flat style"}
    parts = body["messages"][1]["content"]
    assert parts[1] == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}


def test_image_only_models_ask_for_image_only() -> None:
    model = msgspec.structs.replace(_or_model(), output=("image",))
    body = OpenRouterImagesCodec().build_image_request(model, _ctx(), ImageOptions(), KEY).json
    assert body["modalities"] == ["image"] and "image_config" not in body


def _parse_or(body: Any) -> aiwire.ImageResult:
    return OpenRouterImagesCodec().parse_image_response(_or_model(), ImageOptions(), json.dumps(body).encode())


def _choice(message: dict[str, Any], finish: str = "stop", **extra: Any) -> dict[str, Any]:
    return {"id": "gen-1", "choices": [{"finish_reason": finish, "message": message, **extra}]}


def test_openrouter_text_parts_and_images() -> None:
    result = _parse_or(
        _choice(
            {
                "content": [{"type": "text", "text": "Here "}, {"type": "text", "text": "it is."}],
                "images": [
                    {"type": "image_url", "image_url": {"url": f"data:image/webp;base64,{WEBP}"}},
                    {"type": "image_url", "image_url": {"url": "https://cdn.example/2.png"}},
                ],
            }
        )
    )
    assert result.text == "Here it is." and result.stop_reason == "stop"
    assert [i.mime_type for i in result.images] == ["image/webp"]
    assert result.provider_data == {"finish_reason": "stop", "urls": ["https://cdn.example/2.png"]}
    assert result.usage is None


def test_openrouter_errors_in_body_and_choice() -> None:
    top = _parse_or({"error": {"message": "Provider returned error", "code": 502, "metadata": {"raw": "upstream"}}})
    assert (top.stop_reason, top.error_message, top.error_type) == ("error", "Provider returned error: upstream", "502")
    inner = _parse_or(_choice({"content": ""}, finish="error", error={"message": "timed out", "code": 504}))
    assert (inner.error_message, inner.error_type) == ("timed out", "504")


def test_openrouter_explicit_refusal() -> None:
    result = _parse_or(_choice({"content": None, "refusal": "I won't draw that."}))
    assert result.error_message == "the model returned no image: I won't draw that."


def test_openrouter_cost_is_catalog_priced_without_reported_cost() -> None:
    model = msgspec.structs.replace(_or_model(), provider="custom", compat={})
    body = {**_choice({"content": "x", "images": []}), "usage": {"prompt_tokens": 1_000_000, "completion_tokens": 0}}
    result = OpenRouterImagesCodec().parse_image_response(model, ImageOptions(), json.dumps(body).encode())
    assert result.usage is not None and result.usage.cost.total == pytest.approx(model.cost.input)
