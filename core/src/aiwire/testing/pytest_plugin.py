"""pytest plugin (entry point ``pytest11``): the ``faux`` fixture and a
credential-scrubbing ``vcr_config`` for pytest-recording.

Re-record cassettes with real keys: ``pytest --record-mode=once`` (or
``rewrite``); the scrubbers run before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aiwire.testing._faux_provider import FauxProvider
from aiwire.testing._scrub import vcr_config as _vcr_config


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
