"""The package surface: lazy loading and exports."""

from __future__ import annotations

import subprocess
import sys

import aiwire
from aiwire import agent as agent_pkg


def test_import_stays_cheap() -> None:
    code = (
        "import sys, aiwire; assert 'aiwire.agent' not in sys.modules; "
        "import aiwire.agent; assert 'httpx' not in sys.modules, 'agent imported httpx'; "
        "assert aiwire.agent.Agent"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_all_matches_exports() -> None:
    public = {n for n in vars(agent_pkg) if not n.startswith(("_", "@"))} - {"annotations"}
    assert sorted(agent_pkg.__all__) == agent_pkg.__all__
    assert set(agent_pkg.__all__) == public
    assert aiwire.agent is agent_pkg and "agent" in aiwire.__all__
