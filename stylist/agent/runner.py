"""The session API the Chainlit app, `stylist chat` and the HTTP API call.

    session = StylistSession()
    photo_id = session.add_photo(data)                  # ImageRejected → a sentence
    async for event in session.stream_turn("what goes with this?", [photo_id]):
        ...                                             # token / tool_start / tool_end / final / error

One compiled graph and checkpointer per process (`get_agent()`); a session is a thread id plus
the chat's provider overrides. A failed turn yields an `error` event with a sentence, and the
thread is left consistent so the next turn works.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import weakref
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.graph.state import CompiledStateGraph

from stylist.agent.checkpoints import CheckpointStore
from stylist.agent.context import StylistContext
from stylist.agent.errors import describe_provider_error
from stylist.agent.events import TurnEvent, TurnResult
from stylist.agent.forget import forget_user
from stylist.agent.graph import build_graph_builder, close_dangling_tool_calls
from stylist.agent.prompts import photo_note
from stylist.agent.providers import (
    ProviderConfig,
    ProviderOverrides,
    ProviderSetupError,
    as_overrides,
    resolve_provider,
)
from stylist.agent.state import append_unique
from stylist.images import get_image_store
from stylist.process_cache import ReloadingCache
from stylist.profile import is_confirmation
from stylist.settings import StyleSettings, get_settings
from stylist.tools import ALL_TOOLS
from stylist.tools.photos import accept_photo
from stylist.wording import in_words

log = logging.getLogger(__name__)

# When a turn's state is written to the checkpointer (LangGraph's `durability`): at the end.
TURN_DURABILITY = "exit"
FORGOTTEN_GOODBYE = "This session ends here; log out to leave."


class StylistAgent:
    """The compiled graph(s) of this process: one per event loop when memory is on SQLite."""

    def __init__(self, checkpoint_db: Path | None = None, tools: Sequence[Any] | None = None):
        self.tools = list(tools if tools is not None else ALL_TOOLS)
        self.builder = build_graph_builder(self.tools)
        self.checkpoints = CheckpointStore(checkpoint_db)
        # Compiled once per checkpointer; a closed per-loop saver takes its graph with it.
        self._graphs: weakref.WeakKeyDictionary[Any, CompiledStateGraph] = (
            weakref.WeakKeyDictionary()
        )

    async def graph(self) -> CompiledStateGraph:
        saver = await self.checkpoints.saver()
        graph = self._graphs.get(saver)
        if graph is None:
            graph = self.builder.compile(checkpointer=saver)
            self._graphs[saver] = graph
        return graph

    async def aclose(self) -> None:
        await self.checkpoints.aclose()


# One agent per conversation memory (checkpoint database); a few, for tests and tools that
# switch data dirs within one process.
_AGENTS: ReloadingCache[StylistAgent] = ReloadingCache(maxsize=4)


def get_agent(settings: StyleSettings | None = None) -> StylistAgent:
    """The process-wide agent for the configured conversation memory."""
    settings = settings or get_settings()
    db = settings.checkpoint_db.resolve() if settings.checkpoint_db else None
    return _AGENTS.get(db, lambda: StylistAgent(db))


def _text_of(message: AIMessage | AIMessageChunk) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)


class StylistSession:
    """One conversation: a thread id in the checkpointer plus this chat's provider choices."""

    def __init__(
        self,
        thread_id: str | None = None,
        overrides: ProviderOverrides | dict[str, Any] | None = None,
        settings: StyleSettings | None = None,
        agent: StylistAgent | None = None,
        user_id: str | None = None,
    ) -> None:
        self.thread_id = thread_id or uuid.uuid4().hex
        self.user_id = user_id
        self.overrides = as_overrides(overrides) or ProviderOverrides()
        self._settings = settings
        self._agent = agent
        self._photo_ids: list[str] = []

    @property
    def settings(self) -> StyleSettings:
        return self._settings or get_settings()

    @property
    def agent(self) -> StylistAgent:
        if self._agent is None:
            self._agent = get_agent(self.settings)
        return self._agent

    @property
    def config(self) -> dict[str, Any]:
        return {
            "configurable": {"thread_id": self.thread_id},
            "recursion_limit": 2 * self.settings.max_agent_steps + 6,
        }

    # --- photos -------------------------------------------------------------------------------
    def add_photo(self, data: bytes) -> str:
        """Validate, store and encode an uploaded photo; returns its id (raises ImageRejected).
        The photo is decoded once and encoded once here; every tool of every turn reuses it."""
        return accept_photo(data)

    @property
    def photo_ids(self) -> list[str]:
        """Photos of this conversation seen so far by this session object (oldest first)."""
        return list(self._photo_ids)

    async def aphoto_ids(self) -> list[str]:
        """Photos of this conversation as the checkpoint knows them (survives restarts)."""
        graph = await self.agent.graph()
        state = await graph.aget_state(self.config)
        return list(state.values.get("photo_ids", [])) if state else []

    # --- turns --------------------------------------------------------------------------------
    def provider_config(self, overrides: ProviderOverrides | dict | None = None) -> ProviderConfig:
        return resolve_provider(self.settings, self.overrides.merged(as_overrides(overrides)))

    async def stream_turn(
        self,
        text: str,
        photo_ids: Sequence[str] = (),
        overrides: ProviderOverrides | dict[str, Any] | None = None,
    ) -> AsyncIterator[TurnEvent]:
        """Run one turn, yielding events; always ends with one `final` or `error` event (or
        `forgotten`, when this message confirmed "forget me" and the person's data is gone)."""
        try:
            chat_overrides = self.overrides.merged(as_overrides(overrides))
            provider = resolve_provider(self.settings, chat_overrides)
        except ValueError as err:  # pydantic validation of bad overrides
            yield TurnEvent("error", text=f"Those chat settings are not valid: {err}")
            return
        try:
            graph = await self.agent.graph()
            if await self._confirms_forget_me(graph, text, photo_ids):
                yield await self._forget_me()
                return
            inputs = await self._turn_inputs(graph, text, photo_ids)
        except _TurnRefused as refused:
            yield TurnEvent("error", text=str(refused))
            return

        context = StylistContext(
            provider=provider,
            max_steps=self.settings.max_agent_steps,
            results_k=chat_overrides.results_k,
            user_id=self.user_id,
        )
        started: set[str] = set()
        final_text = ""
        try:
            async for mode, payload in graph.astream(
                inputs,
                self.config,
                context=context,
                stream_mode=["messages", "updates"],
                # One checkpoint write per turn, when the graph exits (also on an error or a
                # cancellation), not one per step: a turn that never finished is not resumed
                # mid-way anyway (the next turn starts from the person's message; `_repair`
                # closes calls left open), and the per-step writes were most of a turn's cost.
                durability=TURN_DURABILITY,
            ):
                if mode == "messages":
                    chunk, meta = payload
                    if (
                        isinstance(chunk, AIMessageChunk)
                        and meta.get("langgraph_node") == "model"
                        and (piece := _text_of(chunk))
                    ):
                        yield TurnEvent("token", text=piece)
                    continue
                for node, update in (payload or {}).items():
                    for message in (
                        (update or {}).get("messages", []) if isinstance(update, dict) else []
                    ):
                        if isinstance(message, AIMessage):
                            for call in message.tool_calls:
                                if call["id"] not in started:
                                    started.add(call["id"])
                                    yield TurnEvent(
                                        "tool_start",
                                        tool=call["name"],
                                        call_id=call["id"],
                                        args=dict(call["args"]),
                                    )
                            if not message.tool_calls:
                                final_text = _text_of(message)
                        elif isinstance(message, ToolMessage) and node == "tools":
                            yield _tool_end(message)
        except asyncio.CancelledError:
            await self._repair(graph)
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence in the chat
            if not isinstance(exc, ProviderSetupError):
                log.info("turn failed on %s", provider.provider, exc_info=True)
            await self._repair(graph)
            yield TurnEvent("error", text=describe_provider_error(exc, provider))
            return
        yield TurnEvent("final", text=final_text, provider=provider.provider, model=provider.model)

    def run_turn(
        self,
        text: str,
        photo_ids: Sequence[str] = (),
        overrides: ProviderOverrides | dict[str, Any] | None = None,
    ) -> TurnResult:
        """The sync entry point: runs a turn to the end (not from inside a running event loop)."""

        async def collect() -> TurnResult:
            try:
                return await self.acollect_turn(text, photo_ids, overrides)
            finally:
                await self.agent.aclose()  # this loop ends here; so does its SQLite connection

        return asyncio.run(collect())

    async def acollect_turn(
        self,
        text: str,
        photo_ids: Sequence[str] = (),
        overrides: ProviderOverrides | dict[str, Any] | None = None,
    ) -> TurnResult:
        result = TurnResult()
        async for event in self.stream_turn(text, photo_ids, overrides):
            result.events.append(event)
            if event.kind in ("final", "forgotten"):
                result.text = event.text
            elif event.kind == "error":
                result.error = event.text
        return result

    async def aclose(self) -> None:
        await self.agent.aclose()

    # --- forget me ----------------------------------------------------------------------------
    async def _confirms_forget_me(
        self, graph: CompiledStateGraph, text: str, photo_ids: Sequence[str]
    ) -> bool:
        """The person's own "yes" right after the stylist asked to confirm "forget me": the
        model cannot delete anyone's data, only the person's reply can."""
        if not self.user_id or photo_ids or not is_confirmation(text):
            return False
        state = await graph.aget_state(self.config)
        messages = state.values.get("messages", []) if state and state.values else []
        for message in reversed(messages):
            if isinstance(message, HumanMessage):
                return False  # the question was not the stylist's last word
            artifact = message.artifact if isinstance(message, ToolMessage) else None
            if isinstance(artifact, dict) and artifact.get("kind") == "forget_me":
                return artifact.get("status") == "confirm"
        return False

    async def _forget_me(self) -> TurnEvent:
        from stylist.accounts.database import DatabaseUnavailable
        from stylist.accounts.users import AccountError
        from stylist.profile import ProfileUnavailable

        try:
            report = await forget_user(
                self.settings, user_id=self.user_id, checkpoints=self.agent.checkpoints
            )
        except (AccountError, DatabaseUnavailable, ProfileUnavailable) as err:
            return TurnEvent("error", text=f"I could not delete your data: {err}")
        if not report.complete:
            left = in_words([store for store, n in report.after.items() if n])
            return TurnEvent(
                "error", text=f"I deleted most of your data, but some is left in the {left}."
            )
        counts = {"deleted": report.before, "remaining": report.after}
        return TurnEvent(
            "forgotten",
            text=f"Done — I have deleted everything I kept about you. {FORGOTTEN_GOODBYE}",
            artifact={"kind": "forgotten", **counts},
        )

    # --- internals ----------------------------------------------------------------------------
    async def _turn_inputs(
        self, graph: CompiledStateGraph, text: str, photo_ids: Sequence[str]
    ) -> dict[str, Any]:
        store = get_image_store()
        new_ids = [pid for pid in dict.fromkeys(photo_ids)]
        for pid in new_ids:
            if pid not in store:
                raise _TurnRefused("I no longer have one of those photos; please attach it again.")
        text = (text or "").strip()
        if not text and not new_ids:
            raise _TurnRefused("Please type a message or attach a photo.")
        state = await graph.aget_state(self.config)
        known = list(state.values.get("photo_ids", [])) if state and state.values else []
        # Heal a thread left inconsistent by an interrupted turn before adding to it.
        await self._repair(graph, state)
        all_ids = append_unique(known, new_ids)
        self._photo_ids = all_ids
        numbers = [all_ids.index(pid) + 1 for pid in new_ids]
        note = photo_note(numbers)
        content = f"{text}\n{note}".strip() if note else text
        message = HumanMessage(
            content=content, additional_kwargs={"photo_ids": new_ids} if new_ids else {}
        )
        return {"messages": [message], "photo_ids": new_ids}

    async def _repair(self, graph: CompiledStateGraph, state: Any = None) -> None:
        """Give interrupted tool calls a result so the thread stays valid for providers."""
        try:
            state = state or await graph.aget_state(self.config)
            messages = state.values.get("messages", []) if state and state.values else []
            missing = close_dangling_tool_calls(messages)
            if missing:
                await graph.aupdate_state(self.config, {"messages": missing}, as_node="model")
        except Exception:  # noqa: BLE001 - repair is best effort; never hide the real error
            log.warning("could not repair thread %s", self.thread_id, exc_info=True)


class _TurnRefused(Exception):
    """The turn cannot start (no text and no photo, unknown photo); `str()` is a sentence."""


def _tool_end(message: ToolMessage) -> TurnEvent:
    content = message.content if isinstance(message.content, str) else json.dumps(message.content)
    artifact = message.artifact if isinstance(message.artifact, dict) else None
    return TurnEvent(
        "tool_end",
        tool=message.name,
        call_id=message.tool_call_id,
        content=content,
        artifact=artifact,
        ok=message.status != "error",
    )
