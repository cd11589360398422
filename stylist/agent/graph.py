"""The stylist graph: a model node and a tool node in a loop, bounded by a step budget.

    START → read → model ─(tool calls, budget left)→ tools → remember → model → … → END

`read` and `remember` keep the conversation state (constraints, focus, numbered results; see
`stylist.agent.conversation`); the model sees it as a system note, the offline stylist as data.

The chat model is chosen per turn from the run context (provider + overrides), so one compiled
graph serves every chat. The step budget counts model calls since the person's last message;
the last allowed call runs without tools, so the model answers with what it has.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Sequence

from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph
from langgraph.prebuilt import ToolNode
from langgraph.runtime import Runtime

from stylist.agent.context import StylistContext
from stylist.agent.conversation import read_node, remember_node
from stylist.agent.offline import ConversationView, OfflineStylist
from stylist.agent.prompts import (
    FINAL_ANSWER_NOTE,
    SYSTEM_PROMPT,
    conversation_note,
    profile_note,
)
from stylist.agent.providers import make_chat_model
from stylist.agent.state import StylistState
from stylist.images import get_image_store
from stylist.tools.artifacts import shown_line
from stylist.tools.conversation import constraints_of, focus_of, shown_lists
from stylist.tools.errors import tool_error_message
from stylist.tools.photo_refs import photo_label
from stylist.tools.profile_layer import user_profile

log = logging.getLogger(__name__)

MISSING_TOOL_RESULT = "This tool call was interrupted and returned no result."


def model_calls_this_turn(messages: Sequence[BaseMessage]) -> int:
    """How many times the model has answered since the person's last message."""
    count = 0
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, AIMessage):
            count += 1
    return count


def close_dangling_tool_calls(messages: Sequence[BaseMessage]) -> list[ToolMessage]:
    """ToolMessages for tool calls that never got a result (an interrupted turn).

    Providers refuse a history where an assistant tool call has no matching tool result, so a
    turn that failed between the model and the tools must not poison the next one.
    """
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    missing = []
    for message in messages:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                if call.get("id") and call["id"] not in answered:
                    missing.append(
                        ToolMessage(
                            content=MISSING_TOOL_RESULT,
                            name=call["name"],
                            tool_call_id=call["id"],
                            status="error",
                        )
                    )
    return missing


def _with_tool_results_in_place(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The history with placeholder results right after any AIMessage whose calls lack them."""
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    fixed: list[BaseMessage] = []
    for message in messages:
        fixed.append(message)
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                if call.get("id") and call["id"] not in answered:
                    fixed.append(
                        ToolMessage(
                            content=MISSING_TOOL_RESULT,
                            name=call["name"],
                            tool_call_id=call["id"],
                            status="error",
                        )
                    )
    return fixed


def _image_block(photo_id: str) -> dict | None:
    """A base64 image content block for a stored photo (vision models only; built per call)."""
    store = get_image_store()
    if photo_id not in store:
        return None
    data = store.path(photo_id).read_bytes()
    # The store validated the bytes on upload; Pillow knows the real format, the URL needs one.
    mime = (
        "image/png"
        if data[:8] == b"\x89PNG\r\n\x1a\n"
        else (
            "image/webp"
            if data[8:12] == b"WEBP"
            else "image/gif"
            if data[:4] == b"GIF8"
            else "image/jpeg"
        )
    )
    url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    return {"type": "image_url", "image_url": {"url": url}}


def prepare_messages(messages: Sequence[AnyMessage], *, vision: bool) -> list[BaseMessage]:
    """What the provider is sent: our bookkeeping stripped, photos inlined only for vision."""
    prepared: list[BaseMessage] = []
    for message in _with_tool_results_in_place(messages):
        if isinstance(message, HumanMessage) and message.additional_kwargs:
            photo_ids = message.additional_kwargs.get("photo_ids") or []
            content: str | list = message.content
            if vision and photo_ids and isinstance(content, str):
                blocks = [b for b in (_image_block(pid) for pid in photo_ids) if b]
                content = [{"type": "text", "text": content}, *blocks]
            message = HumanMessage(content=content, id=message.id)
        prepared.append(message)
    return prepared


def conversation_view(state: StylistState) -> ConversationView:
    return ConversationView(
        understanding=state.get("understanding"),
        shown=shown_lists(state),
        focus=focus_of(state),
        constraints=constraints_of(state),
        photo_ids=list(state.get("photo_ids") or []),
        subject=state.get("subject") or "",
    )


def state_note(view: ConversationView) -> str | None:
    """The conversation note for an LLM, or None while nothing is established yet."""
    shown = view.shown[-1] if view.shown else None
    focus = view.focus
    focus_text = None
    if focus is not None and focus.type == "photo" and focus.photo_id:
        focus_text = photo_label(view.photo_ids, focus.photo_id)
    elif focus is not None and focus.item_id is not None:
        focus_text = f"catalog item_id {focus.item_id}" + (f" ({focus.name})" if focus.name else "")
    if view.constraints.is_empty() and shown is None and focus_text is None:
        return None
    lines = [shown_line(i) for i in shown.items] if shown else []
    return conversation_note(view.constraints.describe(), lines, focus_text)


def build_graph_builder(tools: Sequence[BaseTool]) -> StateGraph:
    """The uncompiled graph; compile it with a checkpointer (see stylist.agent.checkpoints)."""

    async def call_model(state: StylistState, runtime: Runtime[StylistContext]) -> dict:
        context = runtime.context
        messages = state.get("messages", [])
        model = make_chat_model(context.provider)
        view = conversation_view(state)
        if isinstance(model, OfflineStylist):
            model = model.model_copy(update={"conversation": view})
        calls = model_calls_this_turn(messages)
        final_only = calls >= context.max_steps - 1
        system = SYSTEM_PROMPT + ("\n" + FINAL_ANSWER_NOTE if final_only else "")
        if note := state_note(view):
            system += "\n" + note  # one system message: some servers accept only one
        profile = await asyncio.to_thread(user_profile, context.user_id)
        if profile is not None and not profile.is_empty():
            system += "\n" + profile_note(profile.describe())
        sent = [SystemMessage(system), *prepare_messages(messages, vision=context.provider.vision)]
        runnable = model if final_only else model.bind_tools(list(tools))
        response = await runnable.ainvoke(sent)
        if final_only and isinstance(response, AIMessage) and response.tool_calls:
            # Out of budget: keep the text, drop the calls so no call is left without a result.
            text = (
                response.text or "I have run out of steps for this message; here is what I found."
            )
            response = AIMessage(content=text, id=response.id)
        return {"messages": [response]}

    def route_after_model(state: StylistState) -> str:
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else END

    builder = StateGraph(StylistState, context_schema=StylistContext)
    builder.add_node("read", read_node)
    builder.add_node("model", call_model)
    builder.add_node("tools", ToolNode(list(tools), handle_tool_errors=tool_error_message))
    builder.add_node("remember", remember_node)
    builder.add_edge(START, "read")
    builder.add_edge("read", "model")
    builder.add_conditional_edges("model", route_after_model, ["tools", END])
    builder.add_edge("tools", "remember")
    builder.add_edge("remember", "model")
    return builder
