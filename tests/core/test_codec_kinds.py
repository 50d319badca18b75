"""A chat call to a model whose api only generates images or embeddings is
refused by the core, before any request, naming the function to call."""

from __future__ import annotations

import pytest

import aiwire
from aiwire._plugins.registry import get_registry
from aiwire._wire.codec import is_chat_codec, is_embedding_codec, is_image_codec

REG = get_registry()
NOT_CHAT = sorted(a for a in REG.apis if not is_chat_codec(REG.codec(a)))


def test_the_installed_image_and_embedding_apis_are_not_chat() -> None:
    assert {"openai-images", "openai-embeddings", "google-embeddings"} <= set(NOT_CHAT)
    assert "openai-completions" not in NOT_CHAT


@pytest.mark.parametrize("api", NOT_CHAT)
def test_a_chat_call_names_the_function_to_call(api: str) -> None:
    codec = REG.codec(api)
    model = aiwire.custom_model("m", api=api, base_url="http://127.0.0.1:9/v1")
    expected = "generate_images" if is_image_codec(codec) else "embed"
    assert is_image_codec(codec) or is_embedding_codec(codec)
    with pytest.raises(aiwire.errors.BadOptionsError, match=rf"speaks {api}, .*call aiwire\.{expected}\(\) instead"):
        aiwire.complete_sync(model, "hi", api_key="k")
    with pytest.raises(aiwire.errors.BadOptionsError, match=rf"call aiwire\.{expected}\(\)"):
        aiwire.stream_sync(model, "hi", api_key="k")
