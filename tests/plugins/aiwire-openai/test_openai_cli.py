"""`aiwire chat -m openai/...` and `-m ollama/...` through the CLI's normal path, on replayed traffic."""

from __future__ import annotations

import pytest

from aiwire._cli.main import main


@pytest.mark.vcr("openai_responses_reasoning_documented.yaml")
def test_chat_with_openai(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    assert main(["chat", "-u", "-m", "openai/gpt-5", "--thinking", "low", "Capital of France?"]) == 0
    cap = capsys.readouterr()
    assert "[thinking] **Answering** The capital of France is Paris." in cap.err
    assert "Paris." in cap.out and "[thinking]" not in cap.out
    assert "[openai/gpt-5:" in cap.err


@pytest.mark.vcr("ollama_chat_documented.yaml")
def test_chat_with_ollama_needs_no_key(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["chat", "-m", "ollama/llama3.1", "hello"]) == 0
    out, err = capsys.readouterr()
    assert "Hello there!" in out and "[thinking] Simple greeting." in err
