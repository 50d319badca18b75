"""Write cassettes/aiwire-openai/images_*.yaml: image-generation traffic written
from the vendors' documented wire formats (no live recording is possible here).

    python plugins/aiwire-openai/scripts/write_image_cassettes.py

The images are tiny real PNGs drawn by the demo model's encoder. Re-record
against the real APIs with keys set and ``--record-mode=rewrite`` (see
``tests/plugins/aiwire-openai/test_images_cassettes.py``).
"""

from __future__ import annotations

import base64
import functools
import json
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from aiwire._demo.image import _span, encode_png

OUT = Path(__file__).resolve().parents[3] / "cassettes" / "aiwire-openai"
NOTE = (
    "# Constructed from the vendor's documented wire format (no API key was available to record).\n"
    "# Re-record with a real key: see tests/plugins/aiwire-openai/test_images_cassettes.py.\n"
)
OPENAI = "https://api.openai.com/v1/images"
OPENROUTER = "https://openrouter.ai/api/v1/chat/completions"
REASONS = {200: "OK", 400: "Bad Request", 402: "Payment Required", 429: "Too Many Requests"}


def png(color: tuple[int, int, int], shape: str) -> str:
    span = functools.partial(_span, shape, w=8, h=8, scale=1.0)
    return base64.b64encode(encode_png(8, 8, span, bytes(color), b"\xff\xff\xff")).decode()


RED, BLUE, GREEN = png((220, 40, 40), "circle"), png((40, 90, 220), "square"), png((40, 170, 70), "triangle")


def interaction(
    uri: str,
    request: Any,
    status: int,
    response: Any,
    *,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> dict[str, Any]:
    body = request if isinstance(request, str) else json.dumps(request, separators=(",", ":"))
    return {
        "request": {
            "body": body,
            "headers": {"content-type": [content_type], "authorization": ["REDACTED"]},
            "method": "POST",
            "uri": uri,
        },
        "response": {
            "body": {"string": json.dumps(response, separators=(",", ":"))},
            "headers": {"content-type": ["application/json"], **{k: [v] for k, v in (headers or {}).items()}},
            "status": {"code": status, "message": REASONS[status]},
        },
    }


def write(name: str, *interactions: dict[str, Any]) -> None:
    text = yaml.safe_dump({"interactions": list(interactions), "version": 1}, sort_keys=False, width=1000)
    (OUT / f"{name}.yaml").write_text(NOTE + text)


def images_usage(inp: int, out: int, image_in: int = 0) -> dict[str, Any]:
    details = {"image_tokens": image_in, "text_tokens": inp - image_in}
    return {"input_tokens": inp, "input_tokens_details": details, "output_tokens": out, "total_tokens": inp + out}


def images_body(*images: str, usage: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"created": 1763712000, **extra, "data": [{"b64_json": b} for b in images], "usage": usage}


def openai_error(message: str, code: str, type: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "param": param, "type": type}}


def openai() -> None:
    gen = f"{OPENAI}/generations"
    shown = {"background": "opaque", "output_format": "png", "size": "1024x1024"}
    write(
        "images_openai_generate",
        interaction(
            gen,
            {"model": "gpt-image-1", "prompt": "a red circle on white", "size": "1024x1024", "quality": "low"},
            200,
            images_body(RED, usage=images_usage(7, 272), quality="low", **shown),
        ),
    )
    write(
        "images_openai_multiple",
        interaction(
            gen,
            {"model": "gpt-image-1", "prompt": "simple geometric shapes", "n": 2, "background": "transparent"},
            200,
            images_body(BLUE, GREEN, usage=images_usage(6, 2112), background="transparent", quality="medium"),
        ),
    )
    write(
        "images_openai_moderation",
        interaction(
            gen,
            {"model": "gpt-image-1", "prompt": "something the safety system blocks"},
            400,
            openai_error(
                "Your request was rejected by the safety system. If you believe this is an error, contact us at "
                "help.openai.com and include the request ID req_0123456789abcdef.",
                "moderation_blocked",
                "image_generation_user_error",
            ),
        ),
    )
    write(
        "images_openai_4xx",
        interaction(
            gen,
            {"model": "gpt-image-1", "prompt": "a red circle", "size": "640x480"},
            400,
            openai_error(
                "Invalid value: '640x480'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.",
                "invalid_value",
                "invalid_request_error",
                "size",
            ),
        ),
    )
    asked = {"model": "gpt-image-1", "prompt": "a red circle"}
    write(
        "images_openai_retry",
        interaction(
            gen,
            asked,
            429,
            openai_error(
                "Rate limit reached for gpt-image-1 on images per minute (IPM): Limit 5, Used 5, Requested 1. "
                "Please try again in 12s.",
                "rate_limit_exceeded",
                "requests",
            ),
            headers={"retry-after": "0"},
        ),
        interaction(gen, asked, 200, images_body(RED, usage=images_usage(5, 272))),
    )
    write(
        "images_openai_edit",
        interaction(
            f"{OPENAI}/edits",
            "<multipart/form-data body: model, prompt, quality, image>",
            200,
            images_body(BLUE, usage=images_usage(331, 4160, image_in=323), quality="high", **shown),
            content_type="multipart/form-data; boundary=aiwire-0",
        ),
    )


def chat_request(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "model": "google/gemini-2.5-flash-image",
        "messages": [{"role": "user", "content": text}],
        "modalities": ["image", "text"],
        "stream": False,
        **extra,
    }


def chat_usage(prompt: int, completion: int, cost: float) -> dict[str, Any]:
    prompt_cost = round(prompt * 0.3e-6, 8)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cost": cost,
        "is_byok": False,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "cost_details": {
            "upstream_inference_cost": None,
            "upstream_inference_prompt_cost": prompt_cost,
            "upstream_inference_completions_cost": round(cost - prompt_cost, 8),
        },
        "completion_tokens_details": {"reasoning_tokens": 0, "image_tokens": 1290},
    }


def chat_answer(
    content: str | None, images: list[str] | None, usage: dict[str, Any], finish: str = "stop", native: str = "STOP"
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None, "reasoning": None}
    if images is not None:
        message["images"] = [
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b}"}, "index": n}
            for n, b in enumerate(images)
        ]
    choice = {"logprobs": None, "finish_reason": finish, "native_finish_reason": native, "index": 0, "message": message}
    return {
        "id": "gen-1763712100-abcdef",
        "provider": "Google AI Studio",
        "model": "google/gemini-2.5-flash-image",
        "object": "chat.completion",
        "created": 1763712100,
        "choices": [choice],
        "usage": usage,
    }


def openrouter() -> None:
    write(
        "images_openrouter_generate",
        interaction(
            OPENROUTER,
            chat_request("a red circle on white", image_config={"aspect_ratio": "16:9"}),
            200,
            chat_answer("Here is a red circle on a white background.", [RED], chat_usage(8, 1300, 0.0387524)),
        ),
    )
    write(
        "images_openrouter_multiple",
        interaction(
            OPENROUTER,
            chat_request("draw a blue square, then a green triangle"),
            200,
            chat_answer("First the square, then the triangle.", [BLUE, GREEN], chat_usage(12, 2590, 0.0774536)),
        ),
    )
    write(
        "images_openrouter_refusal",
        interaction(
            OPENROUTER,
            chat_request("something the model refuses to draw"),
            200,
            chat_answer(
                "I can't create images of that. Is there something else I can draw for you?",
                None,
                chat_usage(10, 19, 0.0000505),
            ),
        ),
    )
    write(
        "images_openrouter_blocked",
        interaction(
            OPENROUTER,
            chat_request("something the safety filter blocks"),
            200,
            chat_answer(None, None, chat_usage(9, 0, 0.0000027), finish="content_filter", native="IMAGE_SAFETY"),
        ),
    )
    write(
        "images_openrouter_4xx",
        interaction(
            OPENROUTER,
            chat_request("a red circle"),
            402,
            {
                "error": {
                    "message": "This request requires more credits, or fewer max_tokens. You requested up to 32768 "
                    "tokens, but can only afford 1000. To increase, visit https://openrouter.ai/settings/credits "
                    "and upgrade to a paid account",
                    "code": 402,
                    "metadata": {"provider_name": None},
                },
                "user_id": "user_REDACTED",
            },
        ),
    )


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    openai()
    openrouter()
    print(f"wrote image cassettes to {OUT}")
