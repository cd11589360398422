"""Tool failures the model can recover from: a sentence in a ToolMessage, never a traceback.

The ToolNode calls `tool_error_message` for any exception a tool raises. Errors that carry a
sentence meant for people (bad photo reference, unknown filter value, missing model, empty
index) pass through as they are; anything unexpected is logged and summarised in one line.
"""

from __future__ import annotations

import logging

from stylist.catalog.store import CatalogMissing
from stylist.images import ImageRejected
from stylist.models.errors import EncoderUnavailable, ModelMissing
from stylist.tools.photo_refs import PhotoNotFound
from stylist.vectorstore.errors import SearchError

log = logging.getLogger(__name__)


class ToolUserError(ValueError):
    """A tool cannot do what was asked; `str(err)` tells the model (and person) why."""


# Errors whose message is already a sentence for the person.
READABLE_ERRORS: tuple[type[BaseException], ...] = (
    ToolUserError,
    PhotoNotFound,
    ImageRejected,
    ModelMissing,
    EncoderUnavailable,
    CatalogMissing,
    SearchError,
)


def tool_error_message(error: Exception) -> str:
    """The ToolMessage text for a failed tool call (ToolNode's `handle_tool_errors`)."""
    if isinstance(error, READABLE_ERRORS):
        return f"Error: {error}"
    # Argument validation errors from langchain/langgraph already name the bad field.
    name = type(error).__name__
    if name in {"ToolInvocationError", "ValidationError"}:
        return f"Error: the tool arguments were not valid. {error}"
    log.warning("tool failed unexpectedly", exc_info=error)
    return f"Error: the tool failed unexpectedly ({name}: {str(error)[:200]}). Try something else."
