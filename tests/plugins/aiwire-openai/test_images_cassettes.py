"""Image generation end to end over replayed HTTP: ``openai-images`` and
``openrouter-images`` through :func:`aiwire.generate_images`.

The cassettes in ``cassettes/aiwire-openai/images_*.yaml`` were constructed
from the vendors' documented wire formats (each says so in its first line).
Re-record them against the real services with keys set::

    OPENAI_API_KEY=... OPENROUTER_API_KEY=... \\
      pytest tests/plugins/aiwire-openai/test_images_cassettes.py --record-mode=rewrite

(the scrubbers in ``aiwire.testing.vcr_config`` run before anything is written).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

import aiwire
from aiwire import errors

CASSETTES = Path(__file__).resolve().parents[3] / "cassettes" / "aiwire-openai"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    return request.node.name.removeprefix("test_")


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-test-not-a-real-key")
    yield


def test_cassettes_hold_no_credentials() -> None:
    files = sorted(CASSETTES.glob("images_*.yaml"))
    assert len(files) >= 10
    for path in files:
        text = path.read_text()
        assert "not-a-real-key" not in text and "Bearer" not in text, path.name


# -- openai-images -------------------------------------------------------------------


@pytest.mark.vcr
def test_images_openai_generate() -> None:
    result = aiwire.generate_images_sync("openai/gpt-image-1", "a red circle on white", size="1024x1024", quality="low")
    assert result.stop_reason == "stop", result.error_message
    [img] = result.images
    assert img.mime_type == "image/png" and base64.b64decode(img.data).startswith(PNG)
    assert result.usage is not None and (result.usage.input, result.usage.output) == (7, 272)
    assert result.provider_data == {"size": "1024x1024", "quality": "low", "background": "opaque"}


@pytest.mark.vcr
async def test_images_openai_multiple() -> None:
    model = aiwire.get_model("openai/gpt-image-1")
    result = await aiwire.generate_images(model, "simple geometric shapes", count=2, background="transparent")
    assert len(result.images) == 2
    assert len({i.data for i in result.images}) == 2
    assert result.usage is not None and result.usage.total == 2118


@pytest.mark.vcr
def test_images_openai_moderation() -> None:
    result = aiwire.generate_images_sync("openai/gpt-image-1", "something the safety system blocks")
    assert (result.stop_reason, result.error_status) == ("error", 400)
    assert result.error_message is not None and "rejected by the safety system" in result.error_message
    assert result.error_type == "image_generation_user_error"
    with pytest.raises(errors.ProviderError, match="HTTP 400"):
        result.raise_for_error()


@pytest.mark.vcr
def test_images_openai_4xx() -> None:
    result = aiwire.generate_images_sync("openai/gpt-image-1", "a red circle", size="640x480")
    assert (result.stop_reason, result.error_status, result.error_type) == ("error", 400, "invalid_request_error")
    assert "Supported values are" in (result.error_message or "")


@pytest.mark.vcr
def test_images_openai_retry() -> None:
    retries: list[str] = []
    result = aiwire.generate_images_sync(
        "openai/gpt-image-1", "a red circle", on_retry=lambda n, delay, why: retries.append(why)
    )
    assert result.stop_reason == "stop" and retries == ["HTTP 429"]


@pytest.mark.vcr
def test_images_openai_edit() -> None:
    ctx = aiwire.Context(
        messages=[
            aiwire.UserMessage(
                content=[
                    aiwire.TextContent(text="make the circle blue"),
                    aiwire.ImageContent(data=base64.b64encode(PNG + b"source").decode(), mime_type="image/png"),
                ]
            )
        ]
    )
    sent: list[aiwire.Request] = []
    result = aiwire.generate_images_sync(
        "openai/gpt-image-1", ctx, quality="high", on_payload=lambda m, r: sent.append(r)
    )
    assert result.stop_reason == "stop"
    assert sent[0].url.endswith("/images/edits")
    assert sent[0].headers["content-type"].startswith("multipart/form-data; boundary=")
    assert result.usage is not None and result.usage.input == 331


# -- openrouter-images ---------------------------------------------------------------


@pytest.mark.vcr
def test_images_openrouter_generate() -> None:
    result = aiwire.generate_images_sync(
        "openrouter/google/gemini-2.5-flash-image", "a red circle on white", size="1920x1080"
    )
    assert result.stop_reason == "stop", result.error_message
    assert result.text == "Here is a red circle on a white background."
    [img] = result.images
    assert base64.b64decode(img.data).startswith(PNG)
    assert result.api == "openrouter-images" and result.id == "gen-1763712100-abcdef"
    assert result.usage is not None and result.usage.cost.total == pytest.approx(0.0387524)


@pytest.mark.vcr
async def test_images_openrouter_multiple() -> None:
    result = await aiwire.generate_images(
        "openrouter/google/gemini-2.5-flash-image", "draw a blue square, then a green triangle"
    )
    assert len(result.images) == 2 and result.stop_reason == "stop"
    assert result.usage is not None and result.usage.output == 2590


@pytest.mark.vcr
def test_images_openrouter_refusal() -> None:
    result = aiwire.generate_images_sync(
        "openrouter/google/gemini-2.5-flash-image", "something the model refuses to draw"
    )
    assert result.stop_reason == "error" and result.error_type == "no_image"
    assert result.error_message == (
        "the model returned no image: I can't create images of that. Is there something else I can draw for you?"
    )
    assert result.usage is not None


@pytest.mark.vcr
def test_images_openrouter_blocked() -> None:
    result = aiwire.generate_images_sync(
        "openrouter/google/gemini-2.5-flash-image", "something the safety filter blocks"
    )
    assert (result.stop_reason, result.error_type) == ("error", "IMAGE_SAFETY")
    assert result.error_message == "blocked by the provider's safety system: finish reason IMAGE_SAFETY"


@pytest.mark.vcr
def test_images_openrouter_4xx() -> None:
    result = aiwire.generate_images_sync("openrouter/google/gemini-2.5-flash-image", "a red circle")
    assert (result.stop_reason, result.error_status, result.error_type) == ("error", 402, "402")
    assert "requires more credits" in (result.error_message or "")
