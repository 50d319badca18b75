"""aiwire-otel waits to import OpenTelemetry until something could record:
a program that never sets OpenTelemetry up does not pay for its import, and
one that sets it up later gets spans from then on (fresh processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import aiwire

    model = aiwire.get_model("demo/aiwire-demo")
    aiwire.complete_sync(model, "hi")
    before = "opentelemetry" in sys.modules

    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    aiwire.complete_sync(model, "hi again")
    spans = exporter.get_finished_spans()
    versions = sorted({s.instrumentation_scope.version for s in spans if s.instrumentation_scope})
    print(json.dumps({"imported_before": before, "spans": [s.name for s in spans], "versions": versions}))
    """
)


def _run(tmp_path: Path, **env: str) -> dict[str, object]:
    full = {**os.environ, "AIWIRE_HOME": str(tmp_path), **env}
    full.pop("AIWIRE_DISABLE_PLUGINS", None)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=full, capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


def test_opentelemetry_is_imported_only_once_it_is_set_up(tmp_path: Path) -> None:
    seen = _run(tmp_path)
    assert seen["imported_before"] is False
    assert seen["spans"] == ["chat aiwire-demo"], "the call after set_tracer_provider is traced"
    from importlib.metadata import version

    assert seen["versions"] == [version("aiwire-otel")], "the scope names the distribution's version"


def test_a_provider_named_by_environment_is_honoured_from_the_first_call(tmp_path: Path) -> None:
    # OpenTelemetry loads a provider named by OTEL_PYTHON_TRACER_PROVIDER on
    # first use: the plugin must not stay dormant then.
    seen = _run(tmp_path, OTEL_PYTHON_TRACER_PROVIDER="sdk_tracer_provider")
    assert seen["imported_before"] is True
