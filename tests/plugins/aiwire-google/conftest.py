"""Cassettes of the aiwire-google tests live in cassettes/aiwire-google/."""

from __future__ import annotations

import pytest
from gemini_helpers import CASSETTES
from vertex_helpers import keypair, service_account, token_server, vertex_env  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)
