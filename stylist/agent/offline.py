"""The offline stylist: a LangChain chat model that needs no network or LLM to call the tools.

It plugs into the same graph as any LLM: `bind_tools` returns a copy that knows the tool
names; the graph hands it the conversation state (`conversation`: this message's reading by
`stylist.language`, the numbered results shown, the focus, the constraints); given a person's
message it answers with tool calls (`planning.plan_understood`; the rule-based
`intents.plan_turn` when the sentence encoder is not installed); once the tool results are in,
it writes the answer from them (`compose.compose_answer`), starting with what it understood.
Streaming yields the final answer a few words at a time so the UI streams it like an LLM's.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from stylist.agent.compose import compose_answer, offline_intro
from stylist.agent.intents import plan_turn
from stylist.agent.planning import ConversationView, plan_understood
from stylist.language.result import Understanding
from stylist.tools import services

_PHOTO_NOTE = re.compile(r"\[attached: ([^\]]*)\]")

__all__ = ["ConversationView", "OfflineStylist"]

# Asks whose reply needs no "Understood: ..." line (it would only repeat the reply).
_NOTHING_TO_SAY = {"help", "small_talk", "clarify", "show_constraints"}


def _catalog_or_none():
    """The catalog for filter words; without one the stylist still plans, just without filters."""
    try:
        return services.catalog()
    except Exception:  # noqa: BLE001 - a missing catalog is reported by the tools themselves
        return None


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(b.get("text", "") for b in content if isinstance(b, dict))


class OfflineStylist(BaseChatModel):
    """A stand-in for an LLM that needs none; see the module docstring."""

    tool_names: tuple[str, ...] = ()
    words_per_chunk: int = 3
    conversation: Any = None  # a ConversationView, set by the graph for each call

    @property
    def _llm_type(self) -> str:
        return "stylist-offline"

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any):
        # A tool object knows its name; converting it to the OpenAI schema just to read the
        # name cost ~1 ms a tool at every model call of every turn.
        names = tuple(
            t.name if isinstance(t, BaseTool) else convert_to_openai_tool(t)["function"]["name"]
            for t in tools
        )
        return self.model_copy(update={"tool_names": names})

    # --- the rules ------------------------------------------------------------------------
    def respond(self, messages: Sequence[BaseMessage]) -> AIMessage:
        last_human = max(
            (i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1
        )
        this_turn = list(messages[last_human + 1 :])
        human_text = _text(messages[last_human]) if last_human >= 0 else ""
        results = [m for m in this_turn if isinstance(m, ToolMessage)]
        view: ConversationView = self.conversation or ConversationView()
        understood = (
            Understanding.model_validate(view.understanding) if view.understanding else None
        )
        if results:
            return AIMessage(
                content=compose_answer(
                    results,
                    last_text=human_text,
                    understood=understood.summary_text if understood else None,
                )
            )
        photo_notes = [
            _PHOTO_NOTE.findall(_text(m)) for m in messages if isinstance(m, HumanMessage)
        ]
        has_photo = any(photo_notes)
        new_photos = len(photo_notes[-1][0].split(",")) if photo_notes and photo_notes[-1] else 0
        text = _PHOTO_NOTE.sub("", human_text).strip()
        if understood is not None:
            view.new_photos = new_photos
            plan = plan_understood(understood, view)
        else:
            plan = plan_turn(
                text, has_photo=has_photo, new_photos=new_photos, catalog=_catalog_or_none()
            )
        calls = [c for c in plan.calls if c.name in self.tool_names]
        if calls:
            return AIMessage(
                content="",
                tool_calls=[
                    {
                        "name": c.name,
                        "args": c.args,
                        "id": f"offline-{uuid.uuid4().hex[:12]}",
                        "type": "tool_call",
                    }
                    for c in calls
                ],
            )
        reply = plan.reply
        if reply is None:  # tools planned but not available (step budget spent)
            reply = "I have done what I can for this message; ask me for something else."
        if understood is not None and not set(understood.intents) <= _NOTHING_TO_SAY:
            reply = f"Understood: {understood.summary_text}. {reply}"
        return AIMessage(content=f"{offline_intro(by_meaning=understood is not None)} {reply}")

    # --- BaseChatModel ----------------------------------------------------------------------
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.respond(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self.respond(messages)
        if message.tool_calls:
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        {
                            "name": c["name"],
                            "args": json.dumps(c["args"]),
                            "id": c["id"],
                            "index": i,
                            "type": "tool_call_chunk",
                        }
                        for i, c in enumerate(message.tool_calls)
                    ],
                )
            )
            return
        words = re.findall(r"\S+\s*", str(message.content))
        for i in range(0, len(words), self.words_per_chunk):
            yield ChatGenerationChunk(
                message=AIMessageChunk(content="".join(words[i : i + self.words_per_chunk]))
            )
