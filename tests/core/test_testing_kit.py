from __future__ import annotations

import json
from types import SimpleNamespace

from aiwire.testing import SCRUBBED, scrub_request, scrub_response, vcr_config


def test_request_scrubbing_covers_headers_query_and_oauth_bodies() -> None:
    req = SimpleNamespace(
        headers={"Authorization": "Bearer sk-live", "x-api-key": "sk-ant", "content-type": "application/json"},
        uri="https://h.invalid/v1/models?key=AIzaSECRET&alt=sse",
        body=b"grant_type=refresh_token&refresh_token=rt-secret&client_id=abc",
    )
    scrub_request(req)
    assert req.headers["Authorization"] == SCRUBBED and req.headers["x-api-key"] == SCRUBBED
    assert req.headers["content-type"] == "application/json"
    assert "AIzaSECRET" not in req.uri and "alt=sse" in req.uri
    assert b"rt-secret" not in req.body and b"client_id=abc" in req.body


def test_response_scrubbing_removes_tokens_and_cookies() -> None:
    body = json.dumps({"access_token": "at-secret", "expires_in": 3600, "nested": {"refresh_token": "rt"}}).encode()
    resp = {"headers": {"Set-Cookie": ["session=abc"]}, "body": {"string": body}}
    scrub_response(resp)
    text = resp["body"]["string"].decode()
    assert "at-secret" not in text and '"expires_in": 3600' in text and "rt" not in json.loads(text)["nested"].values()
    assert resp["headers"]["Set-Cookie"] == [SCRUBBED]


def test_vcr_config_replays_only() -> None:
    cfg = vcr_config()
    assert cfg["record_mode"] == "none"
    assert ("authorization", SCRUBBED) in cfg["filter_headers"]
