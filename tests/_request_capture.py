"""The request differential over the whole suite: every request body a wire
plugin's codec builds while the tests run is checked, at the end of the run,
against the vendor SDKs' request definitions (``_request_specs``).

The codecs' ``build_request`` / ``build_image_request`` are wrapped for the
session; each JSON body is kept with the test that built it. Fields that came
from the caller's ``provider_options`` (passed through verbatim by design) are
not the codec's and are left out. A problem that is not one of the listed
exceptions fails the run, with the test, the api and the field named.
Set ``AIWIRE_REQUEST_DIFFERENTIAL=0`` to skip the check (it imports the SDKs).
"""

from __future__ import annotations

import copy
import functools
import json
import os
from typing import Any

import pytest

_CODECS = {
    # api: (module, class, method)
    "anthropic-messages": ("aiwire_anthropic.codec", "AnthropicCodec", "build_request"),
    "openai-completions": ("aiwire_openai.completions", "CompletionsCodec", "build_request"),
    "openai-responses": ("aiwire_openai.responses", "ResponsesCodec", "build_request"),
    "google-generative-ai": ("aiwire_google.codec", "GoogleCodec", "build_request"),
    "openai-images": ("aiwire_openai.images", "OpenAIImagesCodec", "build_image_request"),
    "openrouter-images": ("aiwire_openai.images", "OpenRouterImagesCodec", "build_image_request"),
}


# Module-level body builders that tests also call directly: (api, module, function).
_BUILDERS = (("google-generative-ai", "aiwire_google.request", "build_body"),)


class Captured:
    def __init__(self) -> None:
        # (api, provider, body json) -> (test, body, fields from provider_options)
        self.bodies: dict[tuple[str, str, str], tuple[str, Any, frozenset[str]]] = {}
        self.test = "<collection>"
        self.skipped_multipart = 0
        self.report: list[str] = []
        self.checked = 0


CAPTURED = Captured()


def _passed_through(options: Any) -> frozenset[str]:
    extra = getattr(options, "provider_options", None) or getattr(options, "extra", None)
    return frozenset(extra) if isinstance(extra, dict) else frozenset()


def _keep(api: str, model: Any, body: Any, options: Any) -> None:
    if _in_hypothesis():
        return
    if body is None:
        CAPTURED.skipped_multipart += 1
        return
    key = (api, model.provider, json.dumps(body, sort_keys=True, default=str))
    if key not in CAPTURED.bodies:
        CAPTURED.bodies[key] = (CAPTURED.test, copy.deepcopy(body), _passed_through(options))


def _wrap_function(api: str, module: Any, name: str) -> None:
    original = getattr(module, name)

    @functools.wraps(original)
    def build(model: Any, context: Any, options: Any, *args: Any, **kwargs: Any) -> Any:
        body = original(model, context, options, *args, **kwargs)
        _keep(api, model, body, options)
        return body

    setattr(module, name, build)


def _in_hypothesis() -> bool:
    # Property tests feed random provider blocks, which the codecs echo verbatim.
    try:
        from hypothesis.control import currently_in_test_context
    except ImportError:
        return False
    return bool(currently_in_test_context())


def _wrap(api: str, cls: type, method: str) -> None:
    original = getattr(cls, method)
    if getattr(original, "_differential", False):
        return

    @functools.wraps(original)
    def build(self: Any, model: Any, context: Any, options: Any, *args: Any, **kwargs: Any) -> Any:
        request = original(self, model, context, options, *args, **kwargs)
        if type(self) is cls:  # not a test's own subclass
            _keep(api, model, request.json, options)
        return request

    build._differential = True  # type: ignore[attr-defined]
    setattr(cls, method, build)


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("AIWIRE_REQUEST_DIFFERENTIAL") == "0":
        return
    import importlib

    for api, (module, name, method) in _CODECS.items():
        try:
            cls = getattr(importlib.import_module(module), name)
        except ImportError:
            continue
        _wrap(api, cls, method)
    for api, module, name in _BUILDERS:
        try:
            _wrap_function(api, importlib.import_module(module), name)
        except ImportError:
            continue


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    CAPTURED.test = item.nodeid


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not CAPTURED.bodies:
        return
    try:
        from _request_specs import problems
    except ImportError as exc:  # the SDKs are test dependencies (requirements-dev.txt)
        CAPTURED.report.append(f"request differential skipped: {exc}")
        return
    for (api, provider, _), (test, body, passed) in sorted(CAPTURED.bodies.items()):
        CAPTURED.checked += 1
        for line in problems(api, body, provider, passed):
            CAPTURED.report.append(f"{test} [{api}] {line}")
    if any(" [" in line for line in CAPTURED.report) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CAPTURED.bodies:
        return
    tr = terminalreporter
    failed = [line for line in CAPTURED.report if " [" in line]
    title = "request differential: " + (
        f"{len(failed)} field(s) the vendors' request definitions do not allow" if failed else "ok"
    )
    tr.write_sep("-", title)
    per_api: dict[str, int] = {}
    for api, _, _ in CAPTURED.bodies:
        per_api[api] = per_api.get(api, 0) + 1
    counts = ", ".join(f"{api} {n}" for api, n in sorted(per_api.items()))
    tr.write_line(
        f"{CAPTURED.checked} distinct request bodies checked against the SDKs' request types ({counts}); "
        f"{CAPTURED.skipped_multipart} multipart image edits are not JSON and not checked"
    )
    for line in CAPTURED.report:
        tr.write_line(line)
