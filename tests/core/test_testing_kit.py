from __future__ import annotations

import json
from types import SimpleNamespace

from aiwire.testing import SCRUBBED, remember_secret, scrub_request, scrub_response, vcr_config


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


def test_vcr_config_leaves_the_record_mode_to_pytest_recording() -> None:
    """Issue 16: a ``record_mode`` in ``vcr_config`` beat ``--record-mode``, so recording never recorded."""
    cfg = vcr_config()
    assert "record_mode" not in cfg
    assert cfg["before_record_request"] is scrub_request and cfg["before_record_response"] is scrub_response


def test_credentials_are_scrubbed_by_value_everywhere() -> None:
    remember_secret("Bearer sk-given-to-the-call")
    req = SimpleNamespace(
        headers={"x-zephyr-key": "sk-given-to-the-call", "Authorization": "Bearer sk-given-to-the-call"},
        uri="https://h.invalid/v1?auth=sk-given-to-the-call&alt=sse",
        body=json.dumps({"apiKey": "other-secret", "note": "key sk-given-to-the-call"}).encode(),
    )
    scrub_request(req)
    dumped = json.dumps([req.headers, req.uri, req.body.decode()])
    assert "sk-given" not in dumped and "other-secret" not in dumped
    assert "alt=sse" in req.uri and req.headers["x-zephyr-key"] == SCRUBBED
    resp = {
        "headers": {"x-echo": ["sk-given-to-the-call"]},
        "body": {"string": b'{"error": "bad key sk-given-to-the-call"}'},
    }
    scrub_response(resp)
    assert b"sk-given" not in resp["body"]["string"] and resp["headers"]["x-echo"] == [SCRUBBED]


def test_a_secret_header_value_is_scrubbed_from_the_response_too() -> None:
    req = SimpleNamespace(headers={"x-api-key": "sk-ant-header-only"}, uri="https://h.invalid/", body=None)
    scrub_request(req)
    resp = {"headers": {}, "body": {"string": "Invalid key: sk-ant-header-only"}}
    assert "sk-ant" not in scrub_response(resp)["body"]["string"]


def test_json_body_keys_are_matched_without_case_or_separator() -> None:
    """Issue 19 defect 9: ``apiKey``, ``refreshToken``, ``accessToken`` were kept in clear."""
    body = json.dumps(
        {
            "apiKey": "k-secret1",
            "refreshToken": "rt-secret2",
            "nested": [{"accessToken": "at-secret3"}],
            "API-KEY": "k4",
        }
    ).encode()
    resp = {"headers": {}, "body": {"string": body}}
    scrub_response(resp)
    data = json.loads(resp["body"]["string"])
    assert data == {
        "apiKey": SCRUBBED,
        "refreshToken": SCRUBBED,
        "nested": [{"accessToken": SCRUBBED}],
        "API-KEY": SCRUBBED,
    }


def test_form_body_ending_in_a_newline_is_scrubbed() -> None:
    """Issue 19 defect 9: a form body with a trailing newline was written in clear."""
    for body in (b"grant_type=refresh_token&refresh_token=rt-secret&client_id=abc\n", "code=c-secret&state=s\r\n"):
        req = SimpleNamespace(headers={}, uri="https://h.invalid/token", body=body)
        scrub_request(req)
        text = req.body.decode() if isinstance(req.body, bytes) else req.body
        assert "secret" not in text and text.endswith("\n"), text
        assert isinstance(req.body, type(body))
    req = SimpleNamespace(headers={}, uri="https://h.invalid/token", body=b"grant_type=x&Refresh-Token=rt-secret")
    scrub_request(req)
    assert b"rt-secret" not in req.body


def test_error_codes_and_logprob_tokens_are_not_erased() -> None:
    """Only credentials are scrubbed: OpenAI's error ``code`` and a logprobs ``token`` survive."""
    body = json.dumps(
        {
            "error": {"message": "too long", "type": "invalid_request_error", "code": "context_length_exceeded"},
            "logprobs": {"content": [{"token": "Hello", "logprob": -0.1}]},
            "usage": {"max_tokens": 5, "input_tokens": 3},
        }
    ).encode()
    resp = {"headers": {}, "body": {"string": body}}
    scrub_response(resp)
    assert json.loads(resp["body"]["string"]) == json.loads(body)
    # ...while an authorization code in a JSON token request, and a bare token, are credentials
    req = SimpleNamespace(
        headers={},
        uri="https://h.invalid/token",
        body=json.dumps({"grant_type": "authorization_code", "code": "c-secret", "code_verifier": "v-secret"}),
    )
    scrub_request(req)
    assert "secret" not in req.body and "authorization_code" in req.body
    resp = {"headers": {}, "body": {"string": json.dumps({"token": "tid=copilot-secret", "expires_at": 1}).encode()}}
    scrub_response(resp)
    assert b"copilot-secret" not in resp["body"]["string"]
