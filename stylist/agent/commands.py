"""`stylist chat`: the stylist in a terminal, on the same graph and tools as the web chat."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path
from typing import Any

import typer

from stylist.images import ImageRejected

HELP = (
    "Type a message and press Enter. /image PATH [message] attaches a photo "
    "(then asks about it), /new starts a new conversation, /quit leaves."
)


def _artifact_lines(artifact: dict[str, Any]) -> list[str]:
    """A few plain lines per artifact (the web UI renders cards instead)."""
    kind = artifact.get("kind")
    if kind == "tags":
        return [
            f"    {a}: " + ", ".join(f"{r['label']} {r['confidence']:.0%}" for r in ranked)
            for a, ranked in artifact["attributes"].items()
        ]
    if kind == "products":
        # Numbered like the answer, so "the second one" and "#2" mean what the person sees.
        return [
            f"    {n}. {p['name']} (item {p['id']}) — ${p['price']:.2f}"
            for n, p in enumerate(artifact["products"], 1)
        ]
    if kind == "outfit":
        return [
            f"    {n}. {s['slot']}: {s['product']['name']} (item {s['product']['id']}) — "
            f"${s['product']['price']:.2f}"
            for n, s in enumerate(artifact["slots"], 1)
        ]
    if kind == "caption":
        return [f"    “{artifact['caption']}”"]
    if kind == "fewshot":
        if artifact["mode"] == "teach":
            return [f"    learned '{artifact['label']}'"]
        return [
            "    "
            + ", ".join(f"{r['label']} {r['confidence']:.0%}" for r in artifact["predictions"])
        ]
    return []


async def _chat(session, read_line, echo) -> None:
    echo(
        f"Stylist — {session.provider_config().display_name} "
        f"({session.provider_config().model}). {HELP}"
    )
    while True:
        line = await read_line()
        if line is None:
            break
        line = line.strip()
        if not line:
            continue
        photos: list[str] = []
        if line.startswith("/"):
            command, _, rest = line.partition(" ")
            if command in ("/quit", "/exit", "/q"):
                break
            if command == "/help":
                echo(HELP)
                continue
            if command == "/new":
                session = type(session)(overrides=session.overrides)
                echo("Started a new conversation.")
                continue
            if command != "/image":
                echo(f"Unknown command {command}. {HELP}")
                continue
            try:
                parts = shlex.split(rest)
            except ValueError:
                parts = rest.split()
            if not parts:
                echo("Usage: /image PATH [message]")
                continue
            path = Path(parts[0]).expanduser()
            try:
                photos = [session.add_photo(path.read_bytes())]
            except FileNotFoundError:
                echo(f"I could not find the file {path}.")
                continue
            except (OSError, ImageRejected) as err:
                echo(str(err) if isinstance(err, ImageRejected) else f"I could not read {path}.")
                continue
            line = " ".join(parts[1:])
        await _turn(session, line, photos, echo)
    await session.aclose()
    echo("Bye!")


async def _turn(session, text: str, photos: list[str], echo) -> None:
    streaming = False
    async for event in session.stream_turn(text, photos):
        if event.kind == "token":
            if not streaming:
                echo("stylist> ", nl=False)
                streaming = True
            echo(event.text, nl=False)
            continue
        if streaming:
            echo("")
            streaming = False
        if event.kind == "tool_start":
            args = ", ".join(f"{k}={v!r}" for k, v in (event.args or {}).items())
            echo(f"  · {event.tool}({args})")
        elif event.kind == "tool_end":
            if not event.ok:
                echo(f"    {event.content}")
            for line in _artifact_lines(event.artifact or {}):
                echo(line)
        elif event.kind == "error":
            echo(f"stylist> {event.text}")


def register(app: typer.Typer) -> None:
    @app.command()
    def chat(
        provider: str = typer.Option(
            None,
            help="auto, groq, openai, ollama, openai-compatible or offline (default: settings)",
        ),
        model: str = typer.Option(None, help="model name for the provider"),
        base_url: str = typer.Option(None, help="base URL (ollama / openai-compatible)"),
        thread: str = typer.Option(
            None, help="continue a conversation by its thread id (needs STYLIST_CHECKPOINT_DB)"
        ),
        image: Path = typer.Option(None, help="start by asking about this photo"),
    ) -> None:
        """Chat with the stylist in the terminal (/image PATH attaches a photo, /quit leaves)."""
        # Imported when the command runs: the agent loads the models, and `stylist --help` and
        # every other command must not pay for that.
        from stylist.agent.providers import ProviderOverrides
        from stylist.agent.runner import StylistSession

        try:
            overrides = ProviderOverrides(provider=provider, model=model, base_url=base_url)
        except ValueError:
            raise typer.BadParameter(
                "provider must be one of auto, groq, openai, ollama, openai-compatible, offline"
            ) from None
        session = StylistSession(thread_id=thread, overrides=overrides)
        pending = [f"/image {shlex.quote(str(image))}"] if image else []

        async def read_line() -> str | None:
            if pending:
                return pending.pop(0)
            try:
                return await asyncio.to_thread(input, "you> ")
            except EOFError:
                return None

        try:
            asyncio.run(_chat(session, read_line, typer.echo))
        except KeyboardInterrupt:
            typer.echo("\nBye!")
        typer.echo(f"(conversation id: {session.thread_id})")
