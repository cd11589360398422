"""Turn provider failures into one sentence for the chat (never a traceback).

The SDKs (openai, groq, ollama/httpx) raise different classes for the same situations, so the
mapping looks at what they share: an HTTP status code, or a timeout / connection error type.
"""

from __future__ import annotations

import asyncio
import logging

from stylist.agent.providers import ProviderConfig, ProviderSetupError
from stylist.wording import plural

log = logging.getLogger(__name__)


def _status_code(exc: BaseException) -> int | None:
    for attr in ("status_code", "status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    response = getattr(exc, "response", None)
    value = getattr(response, "status_code", None)
    return value if isinstance(value, int) else None


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return True
    name = type(exc).__name__
    return "Timeout" in name  # openai/groq APITimeoutError, httpx.ReadTimeout, ...


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError):
        return True
    return type(exc).__name__ in {
        "APIConnectionError",
        "ConnectError",
        "RemoteProtocolError",
        "ConnectTimeout",
    }


def _causes(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def describe_provider_error(exc: BaseException, config: ProviderConfig) -> str:
    """A sentence naming the provider and what to do about the failure."""
    name = config.display_name
    where = f" at {config.base_url}" if config.base_url else ""
    for err in _causes(exc):
        if isinstance(err, ProviderSetupError):
            return str(err)
        status = _status_code(err)
        if status in (401, 403):
            return f"{name} rejected the API key ({status}). Check the key in the settings panel."
        if status == 429:
            tries = config.max_retries + 1
            return (
                f"{name} is rate-limiting requests (429); I tried {plural(tries, 'time')}. "
                "Please wait a moment and try again, "
                "or switch to another provider in the settings panel."
            )
        if status == 404:
            return (
                f"{name} does not know the model {config.model!r} (404). "
                "Check the model name in the settings panel."
            )
        if status is not None and status >= 500:
            return f"{name} had a server error ({status}). Please try again in a moment."
        if _is_timeout(err):
            return (
                f"{name} did not answer within {config.timeout_s:g} seconds. "
                "Please try again, or pick another provider in the settings panel."
            )
        if _is_connection_error(err):
            return (
                f"I could not connect to {name}{where}. Check that it is running and "
                "reachable, or pick another provider in the settings panel."
            )
        if status is not None:
            return f"{name} refused the request ({status}). Please check the settings panel."
    log.warning("unexpected chat-model failure", exc_info=exc)
    return f"Something went wrong while talking to {name} ({type(exc).__name__}). Please try again."
