"""Tool failures the model can recover from: a sentence in a ToolMessage, never a traceback.

The ToolNode calls `tool_error_message` for any exception a tool raises. Errors that carry a
sentence meant for people (bad photo reference, unknown filter value, missing model, empty
index) pass through as they are; anything unexpected is logged and summarised in one line.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class ToolUserError(ValueError):
    """A tool cannot do what was asked; `str(err)` tells the model (and person) why."""


def _readable_error_types() -> tuple[type[BaseException], ...]:
    from stylist.agent.photos import PhotoNotFound
    from stylist.catalog.store import CatalogMissing
    from stylist.images import ImageRejected
    from stylist.models.errors import EncoderUnavailable, ModelMissing

    types: list[type[BaseException]] = [
        ToolUserError,
        PhotoNotFound,
        ImageRejected,
        ModelMissing,
        EncoderUnavailable,
        CatalogMissing,
    ]
    try:
        from stylist.vectorstore.errors import SearchError

        types.append(SearchError)
    except ImportError:  # search not installed in this build
        pass
    return tuple(types)


def tool_error_message(error: Exception) -> str:
    """The ToolMessage text for a failed tool call (ToolNode's `handle_tool_errors`)."""
    if isinstance(error, _readable_error_types()):
        return f"Error: {error}"
    # Argument validation errors from langchain/langgraph already name the bad field.
    name = type(error).__name__
    if name in {"ToolInvocationError", "ValidationError"}:
        return f"Error: the tool arguments were not valid. {error}"
    log.warning("tool failed unexpectedly", exc_info=error)
    return f"Error: the tool failed unexpectedly ({name}: {str(error)[:200]}). Try something else."
