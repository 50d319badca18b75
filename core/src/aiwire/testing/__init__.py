"""Testing kit: a scriptable faux provider and cassette scrubbing.

    from aiwire.testing import FauxProvider, text, tool_call

    with FauxProvider() as faux:
        faux.reply(text("Hello"), tool_call("calculate", {"expression": "1+1"}))
        message = aiwire.complete_sync(faux.model, "hi")

The pytest plugin (installed with aiwire, entry point ``pytest11``) adds the
``faux`` fixture and a ``vcr_config`` that scrubs credentials from cassettes
(by name and by value; ``pytest --record-mode=once`` records).
``use_plugin`` gives a test a fresh plugin registry, optionally with a plugin
registered in-process (a plugin's own test suite, before it is installed).
"""

from __future__ import annotations

from aiwire.testing._faux_provider import FauxProvider, error, image, text, thinking, tool_call
from aiwire.testing._registry import use_plugin
from aiwire.testing._scrub import SCRUBBED, remember_secret, scrub_request, scrub_response, vcr_config

__all__ = [
    "SCRUBBED",
    "FauxProvider",
    "error",
    "image",
    "remember_secret",
    "scrub_request",
    "scrub_response",
    "text",
    "thinking",
    "tool_call",
    "use_plugin",
    "vcr_config",
]
