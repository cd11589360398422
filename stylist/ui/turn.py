"""One chat turn in Chainlit: stream the agent's events into a message, steps and elements.

- `token` events stream into the answer message as they come;
- each `tool_start` / `tool_end` pair becomes a `cl.Step` (type "tool") showing the arguments
  and the summary the model saw;
- tool artifacts (tags, products, outfit(s), caption, few-shot, wardrobe) become custom
  elements attached to the answer, in the order the tools ran; a tagged photo gets a
  "Save to wardrobe" button (`stylist.ui.wardrobe_actions`);
- an `error` event (provider key rejected, rate limit, timeout...) becomes a sentence in the
  answer, and the chat goes on;
- a `forgotten` event (the person confirmed "forget me") ends the chat (`stylist.ui.forget`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import chainlit as cl
from chainlit.utils import utc_now

from stylist.ui.elements import artifact_elements
from stylist.ui.forget import end_forgotten_session
from stylist.ui.wardrobe_actions import save_actions

log = logging.getLogger(__name__)

SOMETHING_BROKE = "Sorry — something went wrong on my side while answering. Please try again."


def _args_text(args: dict[str, Any] | None) -> str:
    return json.dumps(args or {}, ensure_ascii=False, indent=1)


class _Answer:
    """The answer message, created at its first token: Chainlit orders a thread by creation
    time, and the tool steps of the turn should read above the answer they led to."""

    def __init__(self) -> None:
        self.message: cl.Message | None = None

    @property
    def text(self) -> str:
        return self.message.content if self.message else ""

    async def write(self, text: str, *, paragraph: bool = False) -> None:
        if self.message is None:
            self.message = cl.Message(content="", author="Stylist")
        elif paragraph and self.message.content:
            text = "\n\n" + text
        await self.message.stream_token(text)


async def stream_answer(
    session: Any,
    text: str,
    photo_ids: Sequence[str],
    overrides: dict[str, Any] | None,
) -> cl.Message:
    """Run one agent turn and render it; returns the answer message (already sent)."""
    answer = _Answer()
    steps: dict[str, cl.Step] = {}
    notes: list[str] = []
    elements: list[cl.CustomElement] = []
    artifacts: list[dict[str, Any]] = []
    streamed = False
    try:
        async for event in session.stream_turn(text, photo_ids, overrides):
            if event.kind == "token":
                streamed = True
                await answer.write(event.text)
            elif event.kind == "tool_start":
                # Same parent as the answer (Chainlit's on_message run step), so the step
                # shows above the answer it led to rather than after the whole run.
                run = cl.context.current_step
                step = cl.Step(
                    name=event.tool or "tool",
                    type="tool",
                    show_input="json",
                    language="json",
                    parent_id=run.id if run else None,
                )
                step.input = _args_text(event.args)
                step.start = utc_now()
                await step.send()
                steps[event.call_id or str(len(steps))] = step
            elif event.kind == "tool_end":
                step = steps.pop(event.call_id or "", None)
                if step is not None:
                    step.output = event.content or ""
                    step.is_error = not event.ok
                    step.end = utc_now()
                    await step.update()
                artifacts.append(event.artifact)
                markdown, new_elements = artifact_elements(event.artifact)
                if markdown:
                    notes.append(markdown)
                elements.extend(new_elements)
            elif event.kind == "final":
                if not streamed and event.text:
                    await answer.write(event.text)
            elif event.kind == "error":
                await answer.write(f"**Sorry:** {event.text}", paragraph=True)
            elif event.kind == "forgotten":  # first: nothing of this chat may be written now
                await end_forgotten_session()
                await answer.write(event.text)
    except Exception:  # noqa: BLE001 - the person gets a sentence; the log gets the traceback
        log.exception("chat turn failed")
        await answer.write(SOMETHING_BROKE, paragraph=True)
    for step in steps.values():  # a tool that never reported back (the turn was cut short)
        step.output = "This step did not finish."
        step.is_error = True
        step.end = utc_now()
        await step.update()
    if notes:
        await answer.write("\n\n".join(notes), paragraph=True)
    if answer.message is None:  # nothing was said at all (an empty final answer)
        await answer.write("Done." if elements else "I have nothing to add to that.")
    answer.message.elements = elements
    # A tagged photo gets a "Save to wardrobe" button (signed-in chats).
    answer.message.actions = save_actions(artifacts, getattr(session, "user_id", None))
    await answer.message.send()
    return answer.message
