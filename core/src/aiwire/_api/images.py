"""Image generation: ``generate_images`` and its sync twin.

An image call is a :class:`~aiwire._engine.call.Call` whose request comes from the
codec's ``build_image_request`` and whose body is decoded whole by
``parse_image_response``; credentials, headers, request hooks, the pooled
HTTP clients and the retry policy are the chat ones.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Generator, Mapping
from typing import Any, cast

import httpx
import msgspec

from aiwire._engine.call import Call, as_context, make_options
from aiwire._io.drivers import _async_client, _describe, _request, _Retries, _sync_client, _with_note
from aiwire._wire.codec import IMAGE_OPTIONS, ImageCodec, ImageOptions, Request, image_prompt
from aiwire.errors import BadOptionsError
from aiwire.types import Context, ImageResult, Model

__all__ = ["ImageJob", "generate_images", "generate_images_sync"]

log = logging.getLogger("aiwire")

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


class ImageCall(Call):
    """A prepared image generation: the chat :class:`Call` with the image codec."""

    __slots__ = ("image_codec", "image_options")

    def __init__(self, model: Model, context: Context, options: Mapping[str, Any]) -> None:
        api = model.compat.get("image_api") or model.api
        if api != model.api:
            model = msgspec.structs.replace(model, api=api)
        core, image = split_options(options)
        check_capability(model, context)
        super().__init__(model, context, make_options(core))
        codec = self.codec
        if not callable(getattr(codec, "build_image_request", None)):
            raise BadOptionsError(
                f"the {api} api cannot generate images; an image model names its image api in "
                'compat["image_api"] (for example openai-images)'
            )
        self.image_codec = cast(ImageCodec, codec)
        supported: frozenset[str] = getattr(codec, "image_options", frozenset())
        narrowed = self.model.compat.get("image_options")
        if narrowed is not None:  # a model or host that takes fewer options than its api
            supported = supported & frozenset(narrowed)
        unsupported = sorted(n for n in IMAGE_OPTIONS - supported if getattr(image, n) != getattr(_DEFAULT_IMAGE, n))
        if unsupported:
            who = f"{self.model.ref} (api {api})" if narrowed is not None else f"the {api} api"
            raise BadOptionsError(
                f"{who} does not support image option(s) {', '.join(unsupported)}; "
                "remove them, or pass vendor fields in provider_options"
            )
        self.image_options = image

    def build(self, *, stream: bool) -> Request:
        req = self.image_codec.build_image_request(self.model, self.context, self.image_options, self.credentials)
        return self.finish_request(req, stream=False)

    def result(self, **fields: Any) -> ImageResult:
        m = self.model
        return ImageResult(api=m.api, provider=m.provider, model=m.id, **fields)

    def failed(
        self, message: str, *, status: int | None = None, error_type: str | None = None, aborted: bool = False
    ) -> ImageResult:
        return self.result(
            stop_reason="aborted" if aborted else "error",
            error_message=message,
            error_status=status,
            error_type=error_type,
        )

    def response_result(self, response: httpx.Response) -> ImageResult:
        status = response.status_code
        if status >= 400:
            info = self.codec.parse_error(status, response.headers, response.content)
            return self.failed(info.message, status=status, error_type=info.type)
        try:
            return self.image_codec.parse_image_response(self.model, self.image_options, response.content)
        except Exception as exc:  # a codec must never crash the caller
            return self.failed(f"could not decode the {self.model.api} response: {_describe(exc)}")

    def end(self, result: ImageResult) -> ImageResult:
        try:
            self.registry.pm.hook.on_images_end(model=self.model, result=result, call=None)
        except Exception:  # observers must not break a finished call
            log.exception("on_images_end hook failed")
        return result

    def observe(self, response: httpx.Response) -> str:
        if self.options.on_response is not None:
            self.options.on_response(self.model, response)
        self.registry.pm.hook.on_response(model=self.model, response=response, call=None)
        return f"HTTP {response.status_code}"

    def next_step(self, retries: _Retries, response: httpx.Response | None, reason: str) -> ImageResult | float:
        """The final result, or the delay before the next attempt (announced to ``on_retry``)."""
        if response is not None and response.status_code < 400:
            return self.response_result(response)
        if response is None:
            delay, note = retries.next_delay(reason)
        else:
            delay, note = retries.next_delay(reason, response.status_code, response.headers)
        if delay is not None:
            return delay
        if response is not None:
            result = self.response_result(response)
            if note and result.error_message:
                result.error_message = _with_note(result.error_message, note)
            return result
        return self.failed(_with_note(f"request to {self.model.base_url} failed: {reason}", note))


class ImageJob:
    """One image generation in flight.

    ``await job`` (or ``await job.result()``) gives the :class:`ImageResult`;
    :meth:`abort` cancels it, and the result then has ``stop_reason`` aborted.
    Cancelling the awaiting task otherwise propagates as usual.
    """

    __slots__ = ("_aborted", "_call", "_check", "_final", "_task")

    def __init__(self, call: ImageCall, *, check: bool = False) -> None:
        self._call = call
        self._check = check
        self._final: ImageResult | None = None
        self._aborted = False
        self._task: asyncio.Task[Any] | None = None

    @property
    def model(self) -> Model:
        return self._call.model

    async def result(self) -> ImageResult:
        """Run the request (once) and return its result."""
        if self._final is None:
            if self._task is not None:
                raise RuntimeError("this image generation is already being awaited elsewhere")
            self._task = asyncio.current_task()
            self._final = self._call.end(await self._run())
        return self._final.raise_for_error() if self._check else self._final

    def __await__(self) -> Generator[Any, None, ImageResult]:
        return self.result().__await__()

    def abort(self) -> None:
        """Cancel the request; the result has ``stop_reason`` aborted."""
        if self._final is not None or self._aborted:
            return
        self._aborted = True
        task = self._task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()

    async def _run(self) -> ImageResult:
        call = self._call
        client = _async_client(call)
        retries = _Retries(call)
        while True:
            if self._aborted:
                return call.failed("aborted before the request was sent", aborted=True)
            response: httpx.Response | None
            try:
                response = await client.send(_request(client, call, stream=False))
                reason = call.observe(response)
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                response, reason = None, _describe(exc)
            except asyncio.CancelledError:
                if not self._aborted:
                    raise
                return self._cancelled("aborted")
            step = call.next_step(retries, response, reason)
            if isinstance(step, ImageResult):
                return step
            try:
                await asyncio.sleep(step)
            except asyncio.CancelledError:
                if not self._aborted:
                    raise
                return self._cancelled("aborted while waiting to retry")

    def _cancelled(self, why: str) -> ImageResult:
        """Turn the cancellation :meth:`abort` caused into a result."""
        task = asyncio.current_task()
        if task is not None and hasattr(task, "uncancel"):
            task.uncancel()
        return self._call.failed(why, aborted=True)


def _run_sync(call: ImageCall) -> ImageResult:
    client = _sync_client(call)
    retries = _Retries(call)
    while True:
        response: httpx.Response | None
        try:
            response = client.send(_request(client, call, stream=False))
            reason = call.observe(response)
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            response, reason = None, _describe(exc)
        step = call.next_step(retries, response, reason)
        if isinstance(step, ImageResult):
            return step
        time.sleep(step)


ContextLike = Context | str | Mapping[str, Any]


def _prepare(model: Model | str, context: ContextLike, options: Mapping[str, Any]) -> ImageCall:
    from aiwire._api.models import get_model

    m = get_model(model) if isinstance(model, str) else model
    if not isinstance(m, Model):
        raise BadOptionsError(f"model must be an aiwire.Model or 'provider/model-id', not {type(model).__name__}")
    return ImageCall(m, as_context(context), options)


def generate_images(model: Model | str, context: ContextLike, *, check: bool = False, **options: Any) -> ImageJob:
    """Generate images from a prompt (and, where the model takes them, input images).

    ``context`` is a prompt string or a :class:`~aiwire.Context` whose user
    messages hold the text and :class:`~aiwire.ImageContent` inputs. Options:
    ``size``, ``count``, ``quality``, ``output_format``, ``background``,
    ``seed``, ``provider_options`` (see :class:`~aiwire._wire.codec.ImageOptions`),
    plus the core ones: ``api_key``, ``headers``, ``timeout``,
    ``max_retries``, ``max_retry_delay``, ``on_payload``, ``on_response``,
    ``on_retry``, ``transport``. A model without image output, an input image
    the model cannot take, or an option its api does not support raise
    :class:`~aiwire.errors.BadOptionsError` at once. ``await`` the returned
    :class:`ImageJob` for the :class:`~aiwire.ImageResult`; a failure is a
    result with ``stop_reason`` error (``check=True`` raises
    :class:`~aiwire.errors.ProviderError` instead).
    """
    return ImageJob(_prepare(model, context, options), check=check)


def generate_images_sync(
    model: Model | str, context: ContextLike, *, check: bool = False, **options: Any
) -> ImageResult:
    """Blocking twin of :func:`generate_images`; returns the result."""
    call = _prepare(model, context, options)
    result = call.end(_run_sync(call))
    return result.raise_for_error() if check else result
