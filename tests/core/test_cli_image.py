"""``aiwire image`` writes what the model returned and says what it wrote."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from aiwire._cli import main as cli
from aiwire._demo.faux import FauxReply
from aiwire.testing import FauxProvider, image, text

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AIWIRE_IMAGE_MODEL", raising=False)


def test_demo_round_trip_to_a_named_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["image", "-m", "demo/aiwire-demo-image", "a red circle", "-o", "out.png"])
    out, err = capsys.readouterr()
    assert code == 0
    data = (tmp_path / "out.png").read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert out == f"wrote out.png (image/png, {len(data)} bytes)\n"
    assert "offline demo image model" in err


def test_several_images_are_numbered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["image", "blue square", "-n", "2", "--size", "32x32", "-o", "sq.png"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sq-1.png", "sq-2.png"]
    assert capsys.readouterr().out.count("wrote sq-") == 2


def test_default_names_never_overwrite(tmp_path: Path) -> None:
    (tmp_path / "image-1.png").write_bytes(b"keep me")
    assert cli.main(["image", "a triangle"]) == 0
    assert (tmp_path / "image-1.png").read_bytes() == b"keep me"
    assert (tmp_path / "image-2.png").read_bytes().startswith(PNG_MAGIC)


def test_extension_follows_the_mime_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FauxProvider("painter", output=("image",)) as painter:
        painter.reply(image(b"jpeg bytes", "image/jpeg"), image(b"webp bytes", "image/webp"))
        assert cli.main(["image", "-m", "painter/faux-1", "two", "-o", "pic"]) == 0
    assert (tmp_path / "pic-1.jpg").read_bytes() == b"jpeg bytes"
    assert (tmp_path / "pic-2.webp").read_bytes() == b"webp bytes"


def test_input_images_are_sent(tmp_path: Path) -> None:
    (tmp_path / "src.png").write_bytes(b"source image")
    with FauxProvider("painter", output=("text", "image")) as painter:
        painter.reply(text("done"), image(b"edited"))
        assert cli.main(["image", "-m", "painter/faux-1", "make it blue", "-i", "src.png", "-o", "e.png"]) == 0
        blocks = painter.requests[0]["json"]["context"]["messages"][0]["content"]
    assert blocks[1] == {
        "type": "image",
        "data": base64.b64encode(b"source image").decode(),
        "mime_type": "image/png",
    }
    assert (tmp_path / "e.png").read_bytes() == b"edited"


def test_errors_exit_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["image", "-m", "demo/aiwire-demo", "a cat"]) == 2
    assert "cannot generate images" in capsys.readouterr().err
    assert cli.main(["image", "-i", "missing.png", "x"]) == 2
    assert "missing.png" in capsys.readouterr().err
    assert cli.main(["image", "-i", "notes.txt", "x"]) == 2
    assert "not an image file name" in capsys.readouterr().err
    with FauxProvider("painter", output=("image",)) as painter:
        painter.reply(FauxReply(error="blocked by the safety system", error_type="moderation_blocked"))
        assert cli.main(["image", "-m", "painter/faux-1", "x"]) == 1
    assert "error: blocked by the safety system" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
