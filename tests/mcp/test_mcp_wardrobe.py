"""`stylist mcp --user ACCOUNT`: the wardrobe tools through the official SDK's client, acting
for that account only; without --user they are not listed."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from typer.testing import CliRunner

from stylist.accounts.database import open_app_database, run_sync

REPO = Path(__file__).resolve().parents[2]
WARDROBE_TOOLS = {"show_wardrobe", "save_to_wardrobe", "update_wardrobe_item"}


def user_id_of(name: str, add: bool = True) -> str:
    from stylist.accounts.users import AccountStore

    async def work():
        engine = await open_app_database()
        try:
            if add:
                await AccountStore(engine).add(name, "correct horse battery")
            return await AccountStore(engine).user_id_of(name)
        finally:
            await engine.dispose()

    return run_sync(work)


def text_of(result) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def test_mcp_with_user_lists_and_calls_the_wardrobe_tools(own_demo_world):
    from stylist.catalog.store import get_catalog
    from stylist.wardrobe import Wardrobe

    alice = user_id_of("alice")
    photo = get_catalog(own_demo_world).items.iloc[0]["image"]
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "ANONYMIZED_TELEMETRY": "False",
    }
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "stylist.cli", "mcp", "--user", "alice"], env=env
    )

    async def run() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            names = {tool.name for tool in (await session.list_tools()).tools}
            assert WARDROBE_TOOLS <= names and "tag" in names

            empty = await session.call_tool("show_wardrobe", {})
            assert not empty.isError, text_of(empty)
            assert json.loads(text_of(empty))["items"] == []

            saved = await session.call_tool(
                "save_to_wardrobe",
                {"photo": str(photo), "name": "navy blazer", "corrections": {"colour": "Black"}},
            )
            assert not saved.isError, text_of(saved)
            (item,) = json.loads(text_of(saved))["items"]
            assert item["name"] == "navy blazer" and item["attributes"]["baseColour"] == "Black"

            shown = json.loads(text_of(await session.call_tool("show_wardrobe", {})))
            assert [i["id"] for i in shown["items"]] == [item["id"]]

            unknown = await session.call_tool("update_wardrobe_item", {"item": "999", "name": "x"})
            assert unknown.isError and "There is no item 999" in text_of(unknown)

    asyncio.run(asyncio.wait_for(run(), timeout=240))
    # Saved for alice, and only for her.
    assert [i.name for i in Wardrobe(own_demo_world, alice).items()] == ["navy blazer"]
    assert Wardrobe(own_demo_world, user_id_of("bob")).items() == []


def test_without_user_the_wardrobe_tools_are_not_listed(isolated_settings):
    from stylist.mcp_server import build_server

    plain = {tool.name for tool in asyncio.run(build_server().list_tools())}
    assert plain and not (WARDROBE_TOOLS & plain)
    bound = {tool.name for tool in asyncio.run(build_server(user_id="u-1").list_tools())}
    assert WARDROBE_TOOLS <= bound


def test_mcp_with_an_unknown_account_is_a_sentence(isolated_settings):
    from stylist.cli import app

    result = CliRunner().invoke(app, ["mcp", "--user", "nobody"])
    assert result.exit_code == 1
    assert "There is no user called nobody" in result.output and "Traceback" not in result.output
