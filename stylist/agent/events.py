"""What a turn reports to the UI, in order: tokens, tool steps with artifacts, then final/error."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# "forgotten": the person confirmed "forget me" and every store was cleared (artifact: counts
# per store); the door ends the session after it.
EventKind = Literal["token", "tool_start", "tool_end", "final", "error", "forgotten"]


@dataclass
class TurnEvent:
    kind: EventKind
    text: str = ""
    tool: str | None = None
    call_id: str | None = None
    args: dict[str, Any] | None = None
    content: str | None = None
    artifact: dict[str, Any] | None = None
    ok: bool = True
    provider: str | None = None
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict with only the fields that mean something for this kind."""
        keys = {
            "token": ("text",),
            "tool_start": ("tool", "call_id", "args"),
            "tool_end": ("tool", "call_id", "content", "artifact", "ok"),
            "final": ("text", "provider", "model"),
            "error": ("text",),
            "forgotten": ("text", "artifact"),
        }[self.kind]
        data = asdict(self)
        return {"kind": self.kind, **{k: data[k] for k in keys}}


@dataclass
class TurnResult:
    """A whole turn collected (the sync entry point and tests)."""

    text: str = ""
    error: str | None = None
    events: list[TurnEvent] = field(default_factory=list)

    @property
    def artifacts(self) -> list[dict[str, Any]]:
        return [e.artifact for e in self.events if e.kind == "tool_end" and e.artifact]

    @property
    def tool_calls(self) -> list[tuple[str, dict[str, Any]]]:
        return [(e.tool or "", e.args or {}) for e in self.events if e.kind == "tool_start"]
