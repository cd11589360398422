"""The MCP server through the official SDK's client: over stdio (a spawned `stylist mcp`) and
over streamable HTTP (`stylist mcp --http` on a free 127.0.0.1 port)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client

from stylist.catalog.schema import ATTRIBUTES

REPO = Path(__file__).resolve().parents[2]
TOOLS = {"tag", "caption", "search", "similar", "outfit", "item"}


def server_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)  # `use_demo_world` has set the demo world's settings here
    env.update(
        STYLIST_DATA_DIR=str(data_dir),
        PYTHONPATH=str(REPO),
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        ANONYMIZED_TELEMETRY="False",
    )
    return env


@pytest.fixture
def demo_photo(use_demo_world) -> Path:
    from stylist.catalog.store import get_catalog

    return Path(get_catalog(use_demo_world).items.iloc[0]["image"])


def text_of(result) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def exercise(session: ClientSession, photo: Path) -> None:
    await session.initialize()
    listed = await session.list_tools()
    assert TOOLS <= {tool.name for tool in listed.tools}

    tagged = await session.call_tool("tag", {"photo": str(photo), "top_k": 2})
    assert not tagged.isError, text_of(tagged)
    tags = json.loads(text_of(tagged))
    assert list(tags["attributes"]) == list(ATTRIBUTES)

    by_bytes = await session.call_tool(
        "tag", {"photo": base64.b64encode(photo.read_bytes()).decode()}
    )
    assert json.loads(text_of(by_bytes))["photo_id"] == tags["photo_id"]  # the same photo

    found = await session.call_tool("search", {"query": "casual", "k": 4})
    assert not found.isError, text_of(found)
    results = json.loads(text_of(found))["results"]
    assert 1 <= len(results) <= 4 and all("attributes" in p for p in results)

    similar = await session.call_tool("similar", {"photo": tags["photo_id"], "k": 3})
    assert not similar.isError and json.loads(text_of(similar))["results"]

    bad = await session.call_tool("tag", {"photo": base64.b64encode(b"%PDF-1.7 no").decode()})
    assert bad.isError
    assert text_of(bad).endswith(".") and "Traceback" not in text_of(bad)
    assert "not an image" in text_of(bad)

    missing = await session.call_tool("tag", {"photo": "/no/such/photo.jpg"})
    assert missing.isError and "There is no file" in text_of(missing)


def test_over_stdio(demo_world, demo_photo):
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "stylist.cli", "mcp"], env=server_env(demo_world)
    )

    async def run() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await exercise(session, demo_photo)

    asyncio.run(asyncio.wait_for(run(), timeout=240))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_over_streamable_http(demo_world, demo_photo, tmp_path):
    port = free_port()
    log = (tmp_path / "mcp.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "stylist.cli", "mcp", "--http", "--port", str(port)],
        env=server_env(demo_world),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "mcp.log").read_text()
                time.sleep(0.3)

        async def run() -> None:
            url = f"http://127.0.0.1:{port}/mcp"
            async with (
                streamablehttp_client(url) as (read, write, _),
                ClientSession(read, write) as session,
            ):
                await exercise(session, demo_photo)

        asyncio.run(asyncio.wait_for(run(), timeout=240))
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
