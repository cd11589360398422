"""The run's state file: which stages finished, with which inputs, how long they took, and
their results — so a stopped run continues where it stopped, and the report is written from it.

A stage counts as finished only when its recorded key equals the key it would have now. The
key hashes the stage's own options and the results of the stages it reads (budget.depends_on):
a changed CNN config, or a CNN trained again, redoes the CNN and what reads it, not the encoder.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stylist.atomic import atomic_write
from stylist.models.reporting import write_json

STATE_FORMAT = 1


def stage_key(options: Mapping[str, Any], dependency_keys: Mapping[str, str]) -> str:
    blob = json.dumps(
        {"options": options, "after": dict(sorted(dependency_keys.items()))},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class RunState:
    """Read-modify-write of `path` (JSON); every change is written at once, atomically."""

    def __init__(self, path: Path, data: dict[str, Any] | None = None):
        self.path = Path(path)
        self.data: dict[str, Any] = data or {"format": STATE_FORMAT, "stages": {}, "run": {}}

    @classmethod
    def load(cls, path: Path) -> RunState:
        """The saved state, or a fresh one when there is none or it cannot be read (a damaged
        state file only costs a re-run; every trainer keeps its own checkpoints)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return cls(path)
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            return cls(path)
        data.setdefault("stages", {})
        data.setdefault("run", {})
        return cls(path, data)

    # -- stages -----------------------------------------------------------------------------

    @property
    def stages(self) -> dict[str, dict[str, Any]]:
        return self.data["stages"]

    def is_done(self, stage: str, key: str) -> bool:
        entry = self.stages.get(stage) or {}
        return entry.get("status") == "done" and entry.get("key") == key

    def was_interrupted(self, stage: str) -> bool:
        return (self.stages.get(stage) or {}).get("status") == "running"

    def start(self, stage: str, key: str) -> None:
        previous = self.stages.get(stage) or {}
        attempts = int(previous.get("attempts", 0)) + 1
        self.stages[stage] = {
            "status": "running",
            "key": key,
            "attempts": attempts,
            "started_at": _now(),
        }
        self.save()

    def finish(self, stage: str, seconds: float, metrics: Mapping[str, Any]) -> None:
        entry = self.stages[stage]
        entry.update(
            status="done",
            seconds=round(float(seconds), 1),
            finished_at=_now(),
            # Identifies this result: stages that read it hash it into their key, so a stage
            # run again (--redo, or after an interruption) is followed by its readers too.
            result=uuid.uuid4().hex,
            metrics=dict(metrics),
        )
        self.save()

    def result_token(self, stage: str, key: str) -> str:
        """What a reader of `stage` depends on: its key and which run produced the result."""
        return f"{key}:{(self.stages.get(stage) or {}).get('result', '')}"

    def forget(self, stage: str) -> None:
        """Mark a stage unfinished (it runs again next time)."""
        self.stages.pop(stage, None)
        self.save()

    def metrics(self, stage: str) -> dict[str, Any]:
        return (self.stages.get(stage) or {}).get("metrics") or {}

    # -- the run ----------------------------------------------------------------------------

    @property
    def run(self) -> dict[str, Any]:
        return self.data["run"]

    def save(self) -> None:
        # Atomic: a kill mid-write leaves the previous state intact.
        atomic_write(self.path, lambda tmp: write_json(self.data, tmp))


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")
