"""Training and evaluation reports: JSON results and PNG plots (loss curves, confusion
matrices, per-attribute F1 bars, k-shot curves). Every trainer and evaluator writes through
here so that reports look the same whichever model produced them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from stylist.atomic import atomic_write, atomic_write_text  # noqa: E402


def write_json(data: object, path: Path) -> Path:
    """Atomic, like every report file: a reader sees the previous report or the whole new one."""
    return atomic_write_text(Path(path), json.dumps(data, indent=2, default=_jsonable))


def _jsonable(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def plot_loss_curves(history: Mapping[str, Sequence[float]], path: Path, title: str) -> Path:
    """One line per series (e.g. total loss and each task's loss), x = epoch."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, values in history.items():
        ax.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, path)


def plot_confusion_matrix(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str], path: Path, title: str
) -> Path:
    """Row-normalised confusion matrix; labels beyond 40 are too many to read, so the 40 most
    frequent true classes are shown."""
    from sklearn.metrics import confusion_matrix

    labels = list(labels)
    if len(labels) > 40:
        counts = {lab: 0 for lab in labels}
        for t in y_true:
            counts[t] = counts.get(t, 0) + 1
        labels = sorted(labels, key=lambda lab: -counts.get(lab, 0))[:40]
    matrix = confusion_matrix(y_true, y_pred, labels=labels).astype(float)
    matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.28 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return _save(fig, path)


def plot_f1_bars(
    f1: Mapping[str, float], path: Path, title: str, reference: Mapping[str, float] | None = None
) -> Path:
    """Weighted F1 per attribute, with the reference figures beside them when given."""
    names = list(f1)
    x = np.arange(len(names))
    width = 0.4 if reference else 0.7
    fig, ax = plt.subplots(figsize=(max(6, len(names) * 0.9), 4))
    ax.bar(x - (width / 2 if reference else 0), [f1[n] for n in names], width, label="ours")
    if reference:
        ax.bar(x + width / 2, [reference.get(n, 0.0) for n in names], width, label="reference")
    for i, n in enumerate(names):
        ax.text(
            i - (width / 2 if reference else 0),
            f1[n] + 0.01,
            f"{f1[n]:.2f}",
            ha="center",
            fontsize=7,
        )
    ax.set_xticks(x, names, rotation=30, ha="right")
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("weighted F1")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def plot_curves(
    curves: Mapping[str, Mapping[float, float]], path: Path, title: str, xlabel: str, ylabel: str
) -> Path:
    """Generic x → y curves, e.g. k-shot accuracy for the head and its baseline."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, points in curves.items():
        xs = sorted(points)
        ax.plot(xs, [points[x] for x in xs], marker="o", label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    try:
        atomic_write(Path(path), lambda tmp: fig.savefig(tmp, dpi=110), suffix=Path(path).suffix)
    finally:
        plt.close(fig)
    return path
