"""The targets issue #13 sets for the pretrained models, and the run's figure for each: the
report's pass/miss column is computed here from the state, never written by hand.

A target whose figure the run did not measure (a stage not run, no KAGL ground truth) is
"not measured", neither a pass nor a miss.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PASS, MISS, NOT_MEASURED = "pass", "miss", "not measured"
# Marqo-FashionCLIP's published KAGL text -> image R@10, which the KAGL target is set against.
MARQO_FASHIONCLIP_KAGL_R10 = 0.446


def _metrics(state: Mapping[str, Any], stage: str) -> dict[str, Any]:
    return ((state.get("stages", {}).get(stage) or {}).get("metrics")) or {}


def tagger_f1(state: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Weighted F1 tables of this run's taggers, by the name the report gives them."""
    tables = {
        "CNN": _metrics(state, "cnn").get("weighted_f1") or {},
        "heads": _metrics(state, "heads").get("weighted_f1") or {},
    }
    return {name: f1 for name, f1 in tables.items() if f1.get("average") is not None}


def best_tagger(state: Mapping[str, Any]) -> tuple[str, dict[str, float]] | None:
    """The tagger with the highest average weighted F1 (the one #13's tagging bars judge)."""
    tables = tagger_f1(state)
    if not tables:
        return None
    name = max(tables, key=lambda n: tables[n]["average"])
    return name, tables[name]


def _best(attribute: str) -> Callable[[Mapping[str, Any]], float | None]:
    def figure(state: Mapping[str, Any]) -> float | None:
        best = best_tagger(state)
        return None if best is None else best[1].get(attribute)

    return figure


def _heads_average(state: Mapping[str, Any]) -> float | None:
    return (_metrics(state, "heads").get("weighted_f1") or {}).get("average")


def _names_to_held_out_photos(state: Mapping[str, Any]) -> float | None:
    """Held-out names against held-out photos, exact item (the encoder trainer's own check)."""
    exact = ((_metrics(state, "encoder").get("after") or {}).get("exact")) or {}
    return exact.get("recall@10")


def _kagl(state: Mapping[str, Any]) -> float | None:
    gt = ((_metrics(state, "search").get("kagl_gt") or {}).get("text-image")) or {}
    return gt.get("R@10") if gt.get("queries_kept") else None


def trunk_saw_new_types(state: Mapping[str, Any]) -> bool:
    """The run's encoder looks through the fine-tuned attribute CNN, which was trained on every
    article type's labels, the few-shot "new" ones included: its few-shot figure measures
    nothing new (`stylist.models.cnn_trunk`)."""
    options = _metrics(state, "encoder").get("options") or {}
    return options.get("image_trunk") == "cnn"


def five_shot_measured(state: Mapping[str, Any]) -> float | None:
    """The head's 5-shot accuracy among all types as the few-shot stage measured it."""
    head = (_metrics(state, "fewshot").get("k_shot_accuracy") or {}).get("head/fused") or {}
    entry = head.get("5") or head.get(5)
    return None if entry is None else entry.get("mean")


def _five_shot(state: Mapping[str, Any]) -> float | None:
    return None if trunk_saw_new_types(state) else five_shot_measured(state)


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    bar: float
    figure: Callable[[Mapping[str, Any]], float | None]

    def verdict(self, value: float | None) -> str:
        if value is None:
            return NOT_MEASURED
        return PASS if value >= self.bar else MISS


TARGETS: tuple[Target, ...] = (
    Target("tagger_average", "best tagger: average weighted F1", 0.89, _best("average")),
    Target("tagger_gender", "best tagger: gender weighted F1", 0.92, _best("gender")),
    Target("tagger_baseColour", "best tagger: baseColour weighted F1", 0.75, _best("baseColour")),
    Target("tagger_season", "best tagger: season weighted F1", 0.78, _best("season")),
    Target(
        "heads_average", "heads on the run's encoder: average weighted F1", 0.84, _heads_average
    ),
    Target(
        "names_to_photos",
        "held-out names → held-out photos, R@10 (exact item)",
        0.55,
        _names_to_held_out_photos,
    ),
    Target("kagl", "Marqo's KAGL text → image queries, R@10", 0.25, _kagl),
    Target("five_shot", "5-shot accuracy, held-out types among all types", 0.85, _five_shot),
)
# Per attribute, the tagging bars (for the F1 table's target column).
ATTRIBUTE_TARGETS: dict[str, float] = {
    "gender": 0.92,
    "baseColour": 0.75,
    "season": 0.78,
    "average": 0.89,
}


def judge(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per target: its figure in this run, the bar and the computed verdict."""
    rows = []
    for target in TARGETS:
        value = target.figure(state)
        rows.append(
            {
                "key": target.key,
                "label": target.label,
                "bar": target.bar,
                "value": value,
                "verdict": target.verdict(value),
            }
        )
    return rows


def missed_attributes(state: Mapping[str, Any]) -> list[str]:
    """The attributes whose tagging bar the best tagger misses (where label noise is shown)."""
    best = best_tagger(state)
    if best is None:
        return []
    return [
        a
        for a, bar in ATTRIBUTE_TARGETS.items()
        if a != "average" and best[1].get(a) is not None and best[1][a] < bar
    ]
