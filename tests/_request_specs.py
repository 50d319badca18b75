"""Request bodies checked against the vendors' own request definitions.

The official SDKs ship request types generated from each vendor's api
specification: ``anthropic`` and ``openai`` as TypedDicts
(``MessageCreateParams``, ``CompletionCreateParams``,
``ResponseCreateParams``, ``ImageGenerateParams``), ``google-genai`` as
pydantic models (``Content``, ``Tool``, ``GenerationConfig``...). pydantic
validates a body against them (``TypeAdapter``); every TypedDict reachable
from a root type is marked ``extra="forbid"`` first, so an unknown field is
reported, not ignored (TypedDicts are open by default).

``problems(api, body)`` returns one line per unknown or mistyped field, with
its path; ``EXCEPTIONS`` lists the differences that are intended, each with
why (docs/testing.md has the same table).
"""

from __future__ import annotations

import collections.abc
import json
import re
import types
import typing
import warnings
from collections.abc import Callable
from functools import cache
from typing import Any

import typing_extensions

APIS = (
    "anthropic-messages",
    "openai-completions",
    "openai-responses",
    "google-generative-ai",
    "google-gemini-cli",
    "openai-images",
    "openrouter-images",
)

# (api, provider or "*", path pattern, kind) -> why the difference is intended.
# A path pattern is a regular expression over the dotted path of the field;
# kind is "extra" (unknown field), a pydantic error type, or "any".
EXCEPTIONS: dict[tuple[str, str, str, str], str] = {
    ("anthropic-messages", "*", r"temperature|top_p|top_k", "extra"): (
        "sampling parameters: the Messages api takes them on the models that allow them (aiwire_anthropic.rules "
        "quotes its errors for the others), but this SDK's MessageCreateParams no longer lists them"
    ),
    ("anthropic-messages", "*", r"tools\.\d+\.eager_input_streaming", "extra"): (
        "per-tool fine-grained tool streaming: sent to Anthropic's own host, where the api takes it; "
        "not in this SDK's ToolParam"
    ),
    (
        "openai-completions",
        "*",
        r"(enable_thinking|chat_template_kwargs|thinking|reasoning|provider|usage|"
        r"cache_control|session_id|prompt_cache_key|safe_prompt|random_seed)(\..*)?",
        "extra",
    ): (
        "a compatible host's own request field, sent only where that host's compat flags say so (Qwen/Z.ai "
        "enable_thinking, vLLM/llama.cpp chat_template_kwargs, OpenRouter reasoning/provider/usage, "
        "DeepSeek/Z.ai thinking, Mistral's names): not part of OpenAI's Chat Completions"
    ),
    (
        "openai-completions",
        "*",
        r"messages\.\d+\.(reasoning_content|reasoning|reasoning_text|reasoning_details)(\..*)?",
        "extra",
    ): (
        "a host's reasoning field echoed back on an assistant turn, as that host requires "
        "(DeepSeek reasoning_content, OpenRouter reasoning_details...): not OpenAI's"
    ),
    ("openai-completions", "*", r"messages\.\d+\.content\.\d+\.cache_control(\..*)?", "extra"): (
        "OpenRouter's prompt-cache marker on a content part (Anthropic models behind OpenRouter)"
    ),
    (
        "openai-completions",
        "*",
        r"messages\.\d+\.tool_calls\.\d+\.(extra_content|thought_signature)(\..*)?",
        "extra",
    ): "Gemini's OpenAI-compatible endpoint needs the thought signature echoed on tool calls",
    ("openai-completions", "mistral", r"messages\.\d+\.(name|content\.\d+\..*)", "any"): (
        "Mistral's Chat Completions: typed thinking chunks in assistant content and the tool's name on "
        "tool results, both required by Mistral, neither in OpenAI's definition"
    ),
    ("openai-responses", "*", r"input\.\d+\.action\.sources\.\d+\..*", "any"): (
        "a web_search_call output item sent back verbatim: OpenAI's responses list sources of type "
        "'api' that this SDK's input type does not describe"
    ),
    ("openrouter-images", "*", r"(image_config|modalities\.\d+|provider)(\..*)?", "any"): (
        "OpenRouter's image generation through Chat Completions: image_config and an 'image' "
        "modality are OpenRouter's, not OpenAI's"
    ),
}


def excused(api: str, provider: str, path: str, kind: str) -> str | None:
    for (a, prov, pattern, k), why in EXCEPTIONS.items():
        if a == api and prov in ("*", provider) and k in ("any", kind) and re.fullmatch(pattern, path):
            return why
    return None


# -- marking the SDKs' TypedDicts closed ----------------------------------------------


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and typing_extensions.is_typeddict(tp)


def _is_response_model(tp: Any) -> bool:
    from pydantic import BaseModel

    if typing.get_origin(tp) in (typing.Annotated, typing_extensions.Annotated):
        tp = typing.get_args(tp)[0]
    members = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else (tp,)
    return all(isinstance(m, type) and issubclass(m, BaseModel) for m in members)


def _eager(tp: Any) -> Any:
    """``tp`` with every ``Iterable[X]`` made ``list[X]``: pydantic validates an
    Iterable lazily (errors only when consumed, without their path) and lets a
    str pass as an Iterable of characters."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is None or not args or origin is typing.Literal or origin is typing_extensions.Literal:
        return tp
    if origin is typing.Annotated or origin is typing_extensions.Annotated:
        return typing.Annotated[(_eager(args[0]), *tp.__metadata__)]
    new = tuple(_eager(a) for a in args)
    if origin is collections.abc.Iterable:
        return list[new[0]]  # type: ignore[valid-type]
    if origin is typing.Union or origin is types.UnionType:
        # The SDKs also accept their response objects (pydantic models that
        # keep unknown fields) where a request block goes: aiwire sends JSON,
        # so only the request TypedDicts are the specification.
        kept = tuple(a for a in new if not _is_response_model(a)) or new
        return typing.Union[kept]  # noqa: UP007 (a tuple of members)
    try:
        return origin[new if len(new) > 1 else new[0]]
    except TypeError:
        return tp


def _close(root: Any, seen: set[int]) -> None:
    """Mark every TypedDict reachable from ``root`` closed, and its Iterables eager.
    Test-only: this edits the SDK's classes in this process."""
    stack = [root]
    while stack:
        tp = stack.pop()
        if id(tp) in seen:
            continue
        seen.add(id(tp))
        if _is_typeddict(tp):
            hints = {k: _eager(v) for k, v in typing.get_type_hints(tp, include_extras=True).items()}
            tp.__annotations__ = hints
            tp.__pydantic_config__ = {"extra": "forbid", "arbitrary_types_allowed": True}  # IO[bytes] of file params
            stack.extend(hints.values())
        else:
            stack.extend(typing.get_args(tp))


@cache
def _adapter(api: str, streaming: bool) -> Any:
    from pydantic import TypeAdapter

    root: Any
    if api == "anthropic-messages":
        from anthropic.types import message_create_params as m

        root = m.MessageCreateParamsStreaming if streaming else m.MessageCreateParamsNonStreaming
    elif api == "anthropic-beta":
        from anthropic.types.beta import message_create_params as b

        root = b.MessageCreateParamsStreaming if streaming else b.MessageCreateParamsNonStreaming
    elif api in ("openai-completions", "openrouter-images"):
        from openai.types.chat import completion_create_params as c

        root = c.CompletionCreateParamsStreaming if streaming else c.CompletionCreateParamsNonStreaming
    elif api == "openai-responses":
        from openai.types.responses import response_create_params as r

        root = r.ResponseCreateParamsStreaming if streaming else r.ResponseCreateParamsNonStreaming
    elif api == "openai-images":
        from openai.types import image_generate_params as i

        root = i.ImageGenerateParamsStreaming if streaming else i.ImageGenerateParamsNonStreaming
    elif api in ("google-generative-ai", "google-gemini-cli"):
        return TypeAdapter(_gemini_request())
    else:
        raise KeyError(api)
    _close(root, set())
    with warnings.catch_warnings():
        # TypedDicts that declare their own extra items keep them: fine.
        warnings.simplefilter("ignore")
        return TypeAdapter(root)


@cache
def _gemini_request() -> type:
    """Gemini's REST ``GenerateContentRequest``, built from google-genai's models
    (which already refuse unknown fields and read the wire's camelCase names)."""
    from google.genai import types as g
    from pydantic import BaseModel, ConfigDict
    from pydantic.alias_generators import to_camel

    class GenerateContentRequest(BaseModel):
        model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)
        contents: list[g.Content]
        system_instruction: g.Content | None = None
        generation_config: g.GenerationConfig | None = None
        tools: list[g.Tool] | None = None
        tool_config: g.ToolConfig | None = None
        safety_settings: list[g.SafetySetting] | None = None
        cached_content: str | None = None
        labels: dict[str, str] | None = None

    return GenerateContentRequest


Loc = tuple[Any, ...]
_PLAIN_TAGS = frozenset(
    {"str", "int", "float", "bool", "none", "dict", "list", "bytes", "is-instance", "lax-or-strict"}
)


def _is_union_tag(part: Any) -> bool:
    # pydantic names the union member it tried: "TextBlockParam", "str",
    # "list[...]", "function-after[...]", "literal['auto']"...
    return isinstance(part, str) and (
        part[:1].isupper() or "[" in part or part in _PLAIN_TAGS or part.startswith(("function-", "json-"))
    )


def _raw_errors(api: str, body: dict[str, Any]) -> list[tuple[Loc, str, str]]:
    from pydantic import ValidationError

    if api == "google-gemini-cli":  # Cloud Code Assist's envelope around a Gemini request
        body = body.get("request", {})
    streaming = bool(body.get("stream")) if isinstance(body, dict) else False
    found: list[tuple[Loc, str, str]] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            _adapter(api, streaming).validate_json(json.dumps(body), strict=True)
        except ValidationError as exc:
            found = [(tuple(e["loc"]), e["type"], e["msg"]) for e in exc.errors()]
    # google-genai accepts an unknown enum value with a warning, not an error.
    found += [((), "enum", str(w.message)) for w in caught if "is not a valid" in str(w.message)]
    return found


def _prune(errs: list[tuple[Loc, str, str]], start: int = 0) -> list[tuple[Loc, str, str]]:
    """Keep, at each union, only the member the body was meant to be: one
    whose own literals (``type``, ``role``) matched, with the fewest errors."""
    out: list[tuple[Loc, str, str]] = []
    groups: dict[Loc, dict[str, list[tuple[Loc, str, str]]]] = {}
    for err in errs:
        loc = err[0]
        i = next((j for j in range(start, len(loc)) if _is_union_tag(loc[j])), None)
        if i is None:
            out.append(err)
        else:
            groups.setdefault(loc[:i], {}).setdefault(loc[i], []).append(err)
    for prefix, branches in groups.items():
        at = len(prefix) + 1
        best: tuple[tuple[bool, int], list[tuple[Loc, str, str]]] | None = None
        for errs_of in branches.values():
            # The member is not what the body is when its own literals (type,
            # role...) or the value's shape (a list given to a str) did not match.
            mismatch = any(
                (e[1] == "literal_error" and len(e[0]) == at + 1) or (len(e[0]) == at and e[1].endswith("_type"))
                for e in errs_of
            )
            pruned = _prune(errs_of, at)
            score = (mismatch, len(pruned))
            if best is None or score < best[0]:
                best = (score, pruned)
        assert best is not None
        out.extend(best[1])
    return out


def problems(
    api: str, body: dict[str, Any], provider: str = "*", passed_through: frozenset[str] = frozenset()
) -> list[str]:
    """Unknown or mistyped fields of ``body`` as ``path: message (kind)``,
    the intended differences (``EXCEPTIONS``) left out, and the top-level
    fields the caller passed through ``provider_options`` too (theirs, not
    the codec's)."""
    if passed_through:  # checked without them; a required one reported missing is theirs too
        body = {k: v for k, v in body.items() if k not in passed_through}
    errors = _prune(_raw_errors(api, body))
    if errors and api == "anthropic-messages":
        # Features behind an anthropic-beta header (MCP servers, ...) are in
        # the SDK's beta definitions, a superset of the others.
        beta = _prune(_raw_errors("anthropic-beta", body))
        errors = beta if len(beta) < len(errors) else errors
    out = []
    for loc, typ, msg in errors:
        path = ".".join(str(p) for p in loc if not _is_union_tag(p))
        kind = "extra" if typ == "extra_forbidden" else typ
        line = f"{path or '<body>'}: {msg} ({kind})"
        if path.split(".")[0] in passed_through or excused(api, provider, path, kind) or line in out:
            continue
        out.append(line)
    return out


Validator = Callable[[str, dict[str, Any]], list[str]]
