"""Run presets (data, in presets/*.json) and fitting them to a time budget.

A preset names the configuration of every trainer for one kind of run ("real": the full real
catalog in 60 minutes on 2 CPU cores; "smoke": 1 epoch each on a few thousand items; "quick":
tiny models for tests), the encoder spec the run uses, and the minutes each stage is expected
to take. Only the two long
trainers (CNN, encoder) change with the budget: their epochs scale with the minutes left once
the fixed-cost stages are paid for.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

STAGES: tuple[str, ...] = (
    "ingest",
    "cnn",
    "encoder",
    "heads",
    "fewshot",
    "index",
    "search",
    "labelnoise",
    "bench",
)
# What each stage reads: a stage is redone when one of these was redone (see state.py).
DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "ingest": (),
    "cnn": ("ingest",),
    "encoder": ("ingest",),
    "heads": ("encoder",),
    "fewshot": ("encoder",),
    "index": ("encoder",),
    "search": ("index",),
    "labelnoise": ("encoder",),
    "bench": ("cnn", "heads"),
}


def depends_on(stage: str, preset: RunPreset) -> tuple[str, ...]:
    """DEPENDS_ON, plus the CNN for an encoder that runs the CNN's backbone as its image trunk
    (a CNN trained again means another image tower)."""
    needs = DEPENDS_ON[stage]
    if stage == "encoder" and preset.options("encoder").get("image_trunk") == "cnn":
        needs = (*needs, "cnn")
    return needs


class PresetError(ValueError):
    """A preset that does not exist or cannot be used; the message is a sentence."""


@dataclass
class RunPreset:
    name: str
    budget_minutes: float
    quick: bool
    expected_minutes: dict[str, float]
    stage_options: dict[str, dict[str, Any]]
    scalable: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # The encoder spec of the run (StyleSettings.encoder): "demo" (trained from scratch here)
    # or a packaged one such as "packaged:lite0-minilm"; index, heads, few-shot and search use it.
    encoder: str = "demo"

    def options(self, stage: str) -> dict[str, Any]:
        """The stage's options without the "_comment" keys (they document the JSON only)."""
        raw = self.stage_options.get(stage, {})
        return {k: copy.deepcopy(v) for k, v in raw.items() if not k.startswith("_")}

    @property
    def expected_total(self) -> float:
        return float(sum(self.expected_minutes.get(s, 0.0) for s in STAGES))


def available_presets() -> list[str]:
    folder = resources.files("stylist.realeval").joinpath("presets")
    return sorted(
        p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")
    )


def load_preset(name_or_path: str) -> RunPreset:
    """A preset by name (presets/<name>.json) or from a JSON file of the same shape."""
    path = Path(name_or_path)
    if path.suffix == ".json" and path.is_file():
        text, name = path.read_text(), path.stem
    else:
        resource = resources.files("stylist.realeval").joinpath("presets", f"{name_or_path}.json")
        if not resource.is_file():
            raise PresetError(
                f'There is no preset "{name_or_path}"; choose one of '
                f"{', '.join(available_presets())} or give the path of a preset JSON file."
            )
        text, name = resource.read_text(), name_or_path
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise PresetError(
            f'The preset "{name_or_path}" is not valid JSON ({err.msg}, line {err.lineno}).'
        ) from None
    missing = [k for k in ("budget_minutes", "expected_minutes") if k not in data]
    if missing:
        raise PresetError(f'The preset "{name_or_path}" lacks {", ".join(missing)}.')
    return RunPreset(
        name=name,
        budget_minutes=float(data["budget_minutes"]),
        quick=bool(data.get("quick", False)),
        expected_minutes={k: float(v) for k, v in data["expected_minutes"].items()},
        stage_options={s: dict(data.get(s) or {}) for s in STAGES},
        scalable=dict(data.get("scalable") or {}),
        encoder=str(data.get("encoder_spec") or "demo"),
    )


def fit_to_budget(preset: RunPreset, budget_minutes: float | None) -> RunPreset:
    """Scale the epochs of the scalable stages so the expected total meets `budget_minutes`.

    The preset's own budget leaves it unchanged. Fixed stages (ingest, heads, index, ...) cost
    what they cost whatever the budget, so only the minutes beyond them are shared out; a
    trainer never drops below 1 epoch, and the notes say when even that does not fit.
    """
    if budget_minutes is None or math.isclose(budget_minutes, preset.budget_minutes):
        return preset
    if budget_minutes <= 0:
        raise PresetError("The budget must be a positive number of minutes.")
    fitted = copy.deepcopy(preset)
    fitted.budget_minutes = float(budget_minutes)
    scalable = [s for s in preset.scalable if s in STAGES]
    if not scalable:
        fitted.notes.append(
            f"The {preset.name} preset has no stage that scales with the "
            "budget; it runs as configured."
        )
        return fitted
    fixed = sum(m for s, m in preset.expected_minutes.items() if s not in scalable)
    flexible = sum(preset.expected_minutes.get(s, 0.0) for s in scalable)
    # The preset's own slack (budget minus expected total) is kept as a safety margin.
    margin = max(0.0, preset.budget_minutes - preset.expected_total)
    ratio = max(0.0, (budget_minutes - margin - fixed) / flexible) if flexible else 1.0
    for stage in scalable:
        key = preset.scalable[stage]
        options = fitted.stage_options[stage]
        before = int(options.get(key, 1))
        after = max(1, int(math.floor(before * ratio)))
        options[key] = after
        fitted.expected_minutes[stage] = preset.expected_minutes.get(stage, 0.0) * after / before
        if after != before:
            fitted.notes.append(
                f"{stage}: {after} {key} instead of {before} to fit {budget_minutes:g} minutes."
            )
    if fitted.expected_total > budget_minutes:
        fitted.notes.append(
            f"Even with 1 epoch per trainer this run is expected to take about "
            f"{fitted.expected_total:.0f} minutes, more than the {budget_minutes:g} budgeted."
        )
    return fitted
