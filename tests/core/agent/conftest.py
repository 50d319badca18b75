"""Fixtures for the agent tests."""

from __future__ import annotations

import pytest
from agent_helpers import Recorder


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
