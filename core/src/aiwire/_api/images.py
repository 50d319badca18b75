"""Image generation: the checks before an image call, and the public functions.

An image call is a :class:`~aiwire._engine.call.PreparedCall` of kind
``images``: its request comes from the codec's ``build_image_request`` and its
body is decoded whole by ``parse_image_response``; credentials, headers,
request hooks, the pooled HTTP clients and the retry policy are the chat ones,
run by the same exchange engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from aiwire._wire.codec import IMAGE_OPTIONS, ImageOptions, image_prompt
from aiwire.errors import BadOptionsError
from aiwire.types import Context, ImageResult, Model

__all__ = ["check_image_call", "client_defaults", "generate_images", "generate_images_sync", "split_options"]

if TYPE_CHECKING:
    from aiwire._io.aio import ImageJob
    from aiwire._plugins.registry import Registry

_CORE_OPTIONS = frozenset(
    {
        "api_key",
        "timeout",
        "max_retries",
        "max_retry_delay",
        "headers",
        "on_payload",
        "on_response",
        "on_retry",
        "transport",
    }
)
_DEFAULT_IMAGE = ImageOptions()


def client_defaults(defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The defaults of a client that apply to its image calls. A client's
    defaults are chat options (``temperature``, and ``provider_options`` meant
    for chat bodies); an image call takes only the core ones: credentials,
    timeouts, retries, headers, hooks and transport."""
    return {k: v for k, v in defaults.items() if k in _CORE_OPTIONS}


def split_options(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], ImageOptions]:
    """Separate the core options (credentials, retries, hooks) from the image ones."""
    unknown = sorted(set(kwargs) - _CORE_OPTIONS - IMAGE_OPTIONS)
    if unknown:
        valid = ", ".join(sorted(_CORE_OPTIONS | IMAGE_OPTIONS))
        raise BadOptionsError(
            f"unknown image option(s) {', '.join(unknown)}; valid options are: {valid}. "
            "Put vendor-specific fields in provider_options={...}"
        )
    image = {k: v for k, v in kwargs.items() if k in IMAGE_OPTIONS}
    try:
        options = msgspec.convert(image, ImageOptions)
    except msgspec.ValidationError as exc:
        raise BadOptionsError(f"bad image option: {exc}") from None
    return {k: v for k, v in kwargs.items() if k in _CORE_OPTIONS}, options


def check_capability(model: Model, context: Context) -> None:
    """Refuse, before any request, what the model cannot do."""
    if "image" not in model.output:
        outputs = ", ".join(model.output) or "nothing"
        raise BadOptionsError(
            f"{model.ref} cannot generate images (its output is {outputs}); pick a model whose output includes "
            "image (`aiwire models` lists them), or use aiwire.stream() for text"
        )
    if context.tools:
        raise BadOptionsError("image generation takes no tools; remove them from the context")
    prompt, images = image_prompt(context)
    if images and "image" not in model.input:
        raise BadOptionsError(f"{model.ref} takes no input images; send a text prompt only")
    if not prompt and not images:
        raise BadOptionsError("image generation needs a prompt: the context has no user text or image")


def check_image_call(registry: Registry, model: Model, context: Context, image: ImageOptions) -> Model:
    """The model as its image api sees it; raises for what it cannot do."""
    api = model.compat.get("image_api") or model.api
    if api != model.api:
        model = msgspec.structs.replace(model, api=api)
    check_capability(model, context)
    codec = registry.codec(api)
    if not callable(getattr(codec, "build_image_request", None)):
        raise BadOptionsError(
            f"the {api} api cannot generate images; an image model names its image api in "
            'compat["image_api"] (for example openai-images)'
        )
    supported: frozenset[str] = getattr(codec, "image_options", frozenset())
    narrowed = model.compat.get("image_options")
    if narrowed is not None:  # a model or host that takes fewer options than its api
        supported = supported & frozenset(narrowed)
    unsupported = sorted(n for n in IMAGE_OPTIONS - supported if getattr(image, n) != getattr(_DEFAULT_IMAGE, n))
    if unsupported:
        who = f"{model.ref} (api {api})" if narrowed is not None else f"the {api} api"
        raise BadOptionsError(
            f"{who} does not support image option(s) {', '.join(unsupported)}; "
            "remove them, or pass vendor fields in provider_options"
        )
    return model


ContextLike = Context | str | Mapping[str, Any]


def generate_images(model: Model | str, context: ContextLike, *, check: bool = False, **options: Any) -> ImageJob:
    """Generate images from a prompt (and, where the model takes them, input images).

    ``context`` is a prompt string or a :class:`~aiwire.Context` whose user
    messages hold the text and :class:`~aiwire.ImageContent` inputs. Options:
    ``size``, ``count``, ``quality``, ``output_format``, ``background``,
    ``seed``, ``provider_options`` (see :class:`~aiwire.ImageOptions`),
    plus the core ones: ``api_key``, ``headers``, ``timeout``,
    ``max_retries``, ``max_retry_delay``, ``on_payload``, ``on_response``,
    ``on_retry``, ``transport``. A model without image output, an input image
    the model cannot take, or an option its api does not support raise
    :class:`~aiwire.errors.BadOptionsError` at once. ``await`` the returned
    :class:`ImageJob` for the :class:`~aiwire.ImageResult`; a failure is a
    result with ``stop_reason`` error (``check=True`` raises
    :class:`~aiwire.errors.ProviderError` instead).
    """
    from aiwire._api.client import default_client

    return default_client().generate_images(model, context, check=check, **options)


def generate_images_sync(
    model: Model | str, context: ContextLike, *, check: bool = False, **options: Any
) -> ImageResult:
    """Blocking twin of :func:`generate_images`; returns the result."""
    from aiwire._api.client import default_client

    return default_client().blocking.generate_images(model, context, check=check, **options)
