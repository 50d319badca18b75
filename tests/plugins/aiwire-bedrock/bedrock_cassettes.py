"""Write ``cassettes/aiwire-bedrock/converse_stream_documented.yaml`` (run it
after changing the stream below; ``test_bedrock_cassette.py`` checks the file
is what this script writes).

    .venv/bin/python tests/plugins/aiwire-bedrock/bedrock_cassettes.py

No live traffic could be recorded here, so the cassette is written from AWS's
documented formats, not copied from any recording:

* the body is ``application/vnd.amazon.eventstream``: binary frames of a
  prelude (total length, headers length, both u32 big-endian, and the
  prelude's CRC32), string headers ``:event-type``, ``:content-type`` and
  ``:message-type``, a JSON payload, and the CRC32 of the whole frame;
* the payloads follow the Bedrock runtime API reference for
  ``ConverseStreamOutput``: ``messageStart`` (role),
  ``contentBlockDelta`` (``delta`` with ``reasoningContent`` text and
  signature, ``text``, or ``toolUse.input``), ``contentBlockStart``
  (``start.toolUse`` with ``toolUseId`` and ``name``), ``contentBlockStop``,
  ``messageStop`` (``stopReason``) and ``metadata`` (``usage`` as
  ``TokenUsage``, ``metrics.latencyMs``).

The request is the one aiwire's own codec builds for the call the tests make
(Claude Sonnet 4.5 with reasoning and one tool, a Bedrock API key). Ids and
the signature are made up; the credential is ``REDACTED`` as the scrubbing
``vcr_config`` would have written it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from vcr.serializers import yamlserializer

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: bedrock_helpers is beside it
from bedrock_helpers import event

import aiwire
from aiwire.plugin import Credentials, Options
from aiwire_bedrock.codec import BedrockCodec

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "cassettes" / "aiwire-bedrock" / "converse_stream_documented.yaml"
ORIGIN = (
    "# origin: written from AWS's documented ConverseStream wire format (binary event-stream frames, "
    "ConverseStreamOutput events)\n"
    "# by tests/plugins/aiwire-bedrock/bedrock_cassettes.py; not recorded traffic\n"
)
MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
PROMPT = "What is the weather in Paris?"
WEATHER = aiwire.Tool(
    name="get_weather",
    description="Current weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string"}}},
)
SIGNATURE = "EqQBCkgIBxABGAIiQDocumentedExampleSignatureNotARealOne"


def _delta(index: int, delta: dict[str, Any]) -> bytes:
    return event("contentBlockDelta", {"contentBlockIndex": index, "delta": delta})


def stream_body() -> bytes:
    """Reasoning with its signature, text, one tool call, then the stop and usage."""
    return b"".join(
        [
            event("messageStart", {"role": "assistant"}),
            _delta(0, {"reasoningContent": {"text": "The user asks about Paris. "}}),
            _delta(0, {"reasoningContent": {"text": "I should call get_weather."}}),
            _delta(0, {"reasoningContent": {"signature": SIGNATURE}}),
            event("contentBlockStop", {"contentBlockIndex": 0}),
            _delta(1, {"text": "Let me check "}),
            _delta(1, {"text": "the weather in Paris."}),
            event("contentBlockStop", {"contentBlockIndex": 1}),
            event(
                "contentBlockStart",
                {
                    "contentBlockIndex": 2,
                    "start": {"toolUse": {"toolUseId": "tooluse_Documented01", "name": "get_weather"}},
                },
            ),
            _delta(2, {"toolUse": {"input": '{"city": "Par'}}),
            _delta(2, {"toolUse": {"input": 'is", "unit": "celsius"}'}}),
            event("contentBlockStop", {"contentBlockIndex": 2}),
            event("messageStop", {"stopReason": "tool_use"}),
            event(
                "metadata",
                {
                    "usage": {
                        "inputTokens": 412,
                        "outputTokens": 96,
                        "totalTokens": 2508,
                        "cacheReadInputTokens": 2000,
                        "cacheWriteInputTokens": 0,
                    },
                    "metrics": {"latencyMs": 1234},
                },
            ),
        ]
    )


def request() -> dict[str, Any]:
    model = aiwire.get_model("amazon-bedrock", MODEL_ID)
    context = aiwire.Context(messages=[aiwire.UserMessage(content=PROMPT)], tools=[WEATHER])
    built = BedrockCodec().build_request(
        model, context, Options(reasoning="low"), Credentials("REDACTED", extra={"aws_region": "us-east-1"})
    )
    return {
        "body": json.dumps(built.json, separators=(",", ":")),
        "headers": {"content-type": ["application/json"], "authorization": ["REDACTED"]},
        "method": "POST",
        # As the wire carries it (``v1%3A0``), which is what vcrpy sees through
        # httpx, the transport aiwire's testing plugin uses under a cassette.
        "uri": built.url,
    }


def cassette() -> str:
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["application/vnd.amazon.eventstream"]},
        "body": {"string": stream_body()},
    }
    data = {"interactions": [{"request": request(), "response": response}], "version": 1}
    return ORIGIN + yamlserializer.serialize(data)


if __name__ == "__main__":
    OUT.write_text(cassette())
    print(f"wrote {OUT.relative_to(ROOT)}")
