"""`stylist chat` in the terminal: messages, /image, bad files, /quit."""

from __future__ import annotations

import io

from PIL import Image
from typer.testing import CliRunner

from stylist.cli import app


def test_terminal_chat_attaches_photos_and_quits(tmp_path):
    photo = tmp_path / "shirt.png"
    buffer = io.BytesIO()
    Image.new("RGB", (24, 32), (10, 20, 200)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())
    (tmp_path / "notes.txt").write_text("not an image")
    script = (
        "\n".join(
            [
                "hello",
                f"/image {tmp_path / 'notes.txt'}",
                f"/image {tmp_path / 'missing.png'}",
                f"/image {photo} this is my 'boho' style",
                "/quit",
            ]
        )
        + "\n"
    )
    result = CliRunner().invoke(app, ["chat", "--provider", "offline"], input=script)
    out = result.output
    assert result.exit_code == 0, out
    assert "Stylist — The offline stylist (rules)" in out
    assert "stylist> (Offline stylist — no LLM; " in out and "I'm the offline stylist" in out
    assert "That file is not an image I can read" in out
    assert "I could not find the file" in out
    # The photo reached the graph: the offline stylist tried to learn the style from it.
    assert "· teach_style(label='boho')" in out
    assert out.rstrip().splitlines()[-2].endswith("Bye!")
    assert "(conversation id: " in out
