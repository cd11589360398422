"""Evaluation of the classifiers: the weighted-F1 table of the reference project, the report
files every attribute model writes, and the k-shot episodes of the few-shot evaluation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from stylist.catalog.schema import ATTRIBUTES
from stylist.models import reporting

# The reference project's table: weighted F1 per attribute on its 20% test split.
REFERENCE_WEIGHTED_F1: dict[str, float] = {
    "gender": 0.92,
    "masterCategory": 0.90,
    "subCategory": 0.78,
    "articleType": 0.74,
    "baseColour": 0.85,
    "season": 0.81,
    "usage": 0.80,
}
REFERENCE_AVERAGE_F1 = 0.82


def weighted_f1_table(
    y_true: Mapping[str, Sequence[str]], y_pred: Mapping[str, Sequence[str]]
) -> dict[str, float]:
    """Weighted F1 per attribute (in ATTRIBUTES order) plus their plain average ("average").

    Labels may be names or integer class codes; this is the one F1 every trainer and report
    uses (also for picking the best epoch on the validation rows)."""
    table = {
        a: float(f1_score(list(y_true[a]), list(y_pred[a]), average="weighted", zero_division=0))
        for a in ATTRIBUTES
        if a in y_true
    }
    table["average"] = float(np.mean(list(table.values()))) if table else 0.0
    return table


def accuracy_table(
    y_true: Mapping[str, Sequence[str]], y_pred: Mapping[str, Sequence[str]]
) -> dict[str, float]:
    return {a: float(accuracy_score(list(y_true[a]), list(y_pred[a]))) for a in y_true}


def majority_accuracy(labels: Sequence[str]) -> float:
    """Accuracy of always answering the most frequent class: the floor a classifier must beat."""
    values, counts = np.unique(np.asarray(labels, dtype=object).astype(str), return_counts=True)
    return float(counts.max() / counts.sum()) if len(values) else 0.0


def write_attribute_report(
    name: str,
    y_true: Mapping[str, Sequence[str]],
    y_pred: Mapping[str, Sequence[str]],
    label_maps: Mapping[str, Sequence[str]],
    reports_dir: Path,
    *,
    history: Mapping[str, Sequence[float]] | None = None,
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """Write `<name>.json`, `<name>-f1.png`, `<name>-loss.png` and one confusion matrix per
    attribute (`<name>-confusion-<attribute>.png`); return the JSON's content.

    Heads and CNN both report through here, so their tables can be compared line by line.
    """
    reports_dir = Path(reports_dir)
    f1 = weighted_f1_table(y_true, y_pred)
    per_attribute = {a: f1[a] for a in ATTRIBUTES if a in f1}
    files = {
        "f1_plot": reporting.plot_f1_bars(
            per_attribute,
            reports_dir / f"{name}-f1.png",
            f"{name}: weighted F1 on the test split (average {f1['average']:.3f}, "
            f"reference {REFERENCE_AVERAGE_F1:.2f})",
            reference=REFERENCE_WEIGHTED_F1,
        )
    }
    for attribute in per_attribute:
        files[f"confusion_{attribute}"] = reporting.plot_confusion_matrix(
            y_true[attribute],
            y_pred[attribute],
            label_maps[attribute],
            reports_dir / f"{name}-confusion-{attribute}.png",
            f"{name}: {attribute}",
        )
    if history:
        files["loss_plot"] = reporting.plot_loss_curves(
            history, reports_dir / f"{name}-loss.png", f"{name}: loss per epoch"
        )
    report: dict[str, object] = {
        "model": name,
        "weighted_f1": f1,
        "accuracy": accuracy_table(y_true, y_pred),
        "reference_weighted_f1": {**REFERENCE_WEIGHTED_F1, "average": REFERENCE_AVERAGE_F1},
        "test_items": len(next(iter(y_true.values()))) if y_true else 0,
        "classes": {a: len(label_maps[a]) for a in per_attribute},
        "top_confusions": {a: top_confusions(y_true[a], y_pred[a]) for a in per_attribute},
        **(dict(extra) if extra else {}),
    }
    if history:
        report["history"] = {k: list(map(float, v)) for k, v in history.items()}
    files["json"] = reports_dir / f"{name}.json"
    report["files"] = {k: str(v) for k, v in files.items()}
    reporting.write_json(report, files["json"])
    return report


def top_confusions(
    y_true: Sequence[str], y_pred: Sequence[str], limit: int = 8
) -> list[dict[str, object]]:
    """The most frequent mistakes (true label, predicted label), commonest first, each with
    its count and its share of the true label's items: the confusion matrix's largest
    off-diagonal cells, as a table a page can print."""
    pairs = [(str(t), str(p)) for t, p in zip(y_true, y_pred, strict=True)]
    totals = Counter(t for t, _ in pairs)
    mistakes = Counter((t, p) for t, p in pairs if t != p)
    return [
        {"true": t, "predicted": p, "count": n, "share_of_true": round(n / totals[t], 3)}
        for (t, p), n in mistakes.most_common(limit)
    ]


def format_f1_table(report: Mapping[str, object]) -> str:
    """The table as text for the terminal: ours beside the reference."""
    f1 = report["weighted_f1"]
    lines = [f"{'attribute':16} {'ours':>6} {'reference':>9}"]
    for attribute in [*ATTRIBUTES, "average"]:
        if attribute in f1:
            ref = REFERENCE_WEIGHTED_F1.get(attribute, REFERENCE_AVERAGE_F1)
            lines.append(f"{attribute:16} {f1[attribute]:6.3f} {ref:9.2f}")
    return "\n".join(lines)


# --- k-shot episodes -------------------------------------------------------------------------


def draw_support(
    labels: Sequence[str], classes: Sequence[str], k: int, rng: np.random.Generator
) -> np.ndarray:
    """Indices of k examples of each class (fewer when a class has fewer), drawn without
    replacement; one "episode" of a k-shot evaluation."""
    labels = np.asarray(labels, dtype=object)
    chosen: list[np.ndarray] = []
    for cls in classes:
        members = np.flatnonzero(labels == cls)
        if len(members):
            chosen.append(rng.choice(members, size=min(k, len(members)), replace=False))
    return np.concatenate(chosen) if chosen else np.empty(0, dtype=int)


def summarise_draws(accuracies: Mapping[str, Mapping[int, Sequence[float]]]) -> dict:
    """{method: {k: [acc per draw]}} -> {method: {k: {"mean", "std", "draws"}}}."""
    return {
        method: {
            int(k): {"mean": float(np.mean(v)), "std": float(np.std(v)), "draws": len(v)}
            for k, v in per_k.items()
        }
        for method, per_k in accuracies.items()
    }
