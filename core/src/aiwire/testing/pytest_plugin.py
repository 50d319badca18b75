"""pytest plugin (entry point ``pytest11``): the ``faux`` fixture and
credential scrubbing for pytest-recording.

Record with real keys: ``pytest --record-mode=once`` (or ``rewrite``);
pytest-recording's option decides the mode (``none``, replay only, by
default) and the scrubbers run before anything is written. In a
``@pytest.mark.vcr`` test:

- the credentials of every call are scrubbed by value from what is recorded;
- in replay mode, a provider whose key variables are unset (and that no
  other plugin answers for) gets a placeholder key, so calls build their
  requests without a real key;
- in replay mode, a missing cassette fails the test with the command that
  records it, and a request the cassette does not hold fails it at teardown.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aiwire.plugin import Credentials, hookimpl
from aiwire.testing._faux_provider import FauxProvider
from aiwire.testing._scrub import SCRUBBED, remember_secret
from aiwire.testing._scrub import vcr_config as _vcr_config

_RECORDER = "aiwire-testing-recorder"
_NOT_IN_CASSETTE = "CannotOverwriteExistingCassetteException"


@pytest.fixture
def faux() -> Iterator[FauxProvider]:
    """A registered :class:`~aiwire.testing.FauxProvider`, removed afterwards."""
    provider = FauxProvider()
    try:
        yield provider
    finally:
        provider.close()


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return _vcr_config()


class _Recorder:
    """An in-process aiwire plugin that feeds each call's credentials to the
    scrubbers and notes calls the cassette could not answer."""

    AIWIRE_PLUGIN_API = 2

    def __init__(self, *, replay: bool) -> None:
        self.replay = replay
        self.unanswered: list[str] = []

    @hookimpl(trylast=True)
    def resolve_credentials(self, provider: Any) -> Credentials | None:
        if not self.replay or provider.auth != "required" or any(os.environ.get(v) for v in provider.env):
            return None
        return Credentials(SCRUBBED, source="a placeholder (replaying a cassette)")

    @hookimpl
    def prepare_request(self, call: Any) -> None:
        creds = call.credentials
        remember_secret(creds.api_key)
        remember_secret(call.options.api_key)
        for value in creds.headers.values():
            remember_secret(value)

    @hookimpl
    def on_message_end(self, message: Any) -> None:
        if message.error_message and _NOT_IN_CASSETTE in message.error_message:
            self.unanswered.append(message.error_message)

    @hookimpl
    def on_images_end(self, result: Any) -> None:
        self.on_message_end(result)


def _transport_vcrpy_replays() -> Callable[[], None]:
    """vcrpy records and replays what goes through httpx or aiohttp, not
    aiwire's own transport (the default), so under a cassette async calls
    that pick no transport use httpx's (``AIWIRE_TRANSPORT=httpx`` unless the
    environment sets one; aiohttp's replay under vcrpy before 9, the last for
    Python 3.10, also drops response headers). Returns the undo."""
    if os.environ.get("AIWIRE_TRANSPORT"):
        return lambda: None
    os.environ["AIWIRE_TRANSPORT"] = "httpx"

    def restore() -> None:
        os.environ.pop("AIWIRE_TRANSPORT", None)

    return restore


def _record_mode(request: pytest.FixtureRequest) -> str:
    """The mode pytest-recording uses: a ``record_mode`` in ``vcr_config`` or
    a mark, else ``--record-mode``, else ``none`` (as its ``use_cassette``)."""
    merged = dict(request.getfixturevalue("vcr_config"))
    for mark in reversed(list(request.node.iter_markers(name="vcr"))):
        merged.update(mark.kwargs)
    if "record_mode" in merged:
        return str(merged["record_mode"])
    return str(request.config.getoption("--record-mode", default=None) or "none")


@pytest.fixture(autouse=True)
def _aiwire_cassette(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("vcr") is None or request.config.getoption("--disable-recording", default=False):
        yield
        return
    cassette = request.getfixturevalue("vcr")
    mode = _record_mode(request)
    path = getattr(cassette, "_path", "?")
    if mode == "none" and cassette is not None and not cassette.data:
        pytest.fail(
            f"cassette {path} is missing or empty, and pytest-recording is in replay mode; record it with "
            f"`pytest {request.node.nodeid} --record-mode=once` and a real key in the environment",
            pytrace=False,
        )
    from aiwire._plugins import registry

    recorder = _Recorder(replay=mode == "none")
    registry.register_plugin(recorder, _RECORDER)
    restore = _transport_vcrpy_replays()
    try:
        yield
    finally:
        restore()
        registry.unregister_plugin(_RECORDER)
    if recorder.unanswered:
        pytest.fail(
            f"a request is not in cassette {path} (replay mode: {mode}); re-record it with "
            f"`pytest {request.node.nodeid} --record-mode=rewrite`. {recorder.unanswered[0]}",
            pytrace=False,
        )
