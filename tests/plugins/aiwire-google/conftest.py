"""Cassettes of the aiwire-google tests live in cassettes/aiwire-google/."""

from __future__ import annotations

import pytest
from gemini_helpers import CASSETTES


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)
