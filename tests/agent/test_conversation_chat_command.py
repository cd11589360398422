"""The multi-turn scripts through `stylist chat` (the terminal door): the same tools in the
same order, the same answers, numbered cards with item ids."""

from __future__ import annotations

import re

import pytest
from conversation_scripts import SCRIPTS
from typer.testing import CliRunner

from stylist.catalog.store import Catalog
from stylist.cli import app

pytestmark = pytest.mark.slow

TOOL_LINE = re.compile(r"^  · (\w+)\(", re.MULTILINE)
# A terminal script is typed ahead, so turns made from the state before them are left out.
TYPED_SCRIPTS = [s for s in SCRIPTS if all(isinstance(t.text, str) for t in s.turns)]


def photo_path(catalog, where) -> str:
    items = catalog.test
    for column, value in where.items():
        items = items[items[column] == value]
    return str(items.iloc[0]["image"])


@pytest.mark.parametrize("script", TYPED_SCRIPTS, ids=str)
def test_script_through_stylist_chat(script, use_demo_world):
    catalog = Catalog.load(use_demo_world)
    lines = []
    for turn in script.turns:
        if turn.photo:
            lines.append(f"/image {photo_path(catalog, turn.photo)} {turn.text}".rstrip())
        else:
            lines.append(turn.text)
    result = CliRunner().invoke(
        app, ["chat", "--provider", "offline"], input="\n".join([*lines, "/quit"]) + "\n"
    )
    assert result.exit_code == 0, result.output
    # One reply per turn, in order: the text after each prompt up to the next one.
    replies = result.output.split("you> ")[1 : len(script.turns) + 1]
    assert len(replies) == len(script.turns), result.output
    for turn, reply in zip(script.turns, replies, strict=True):
        if turn.tools is not None:
            assert TOOL_LINE.findall(reply) == turn.tools, (turn.text, reply)
        for words in turn.says:
            assert words.lower() in reply.lower(), (turn.text, words, reply)
        cards = re.findall(r"^    (\d+)\. .+ \(item (\d+)\) — \$", reply, re.MULTILINE)
        if "search_catalog" in (turn.tools or []):
            assert cards and cards[0][0] == "1", reply  # numbered from 1, with the item id
