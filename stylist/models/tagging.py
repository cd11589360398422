"""What every attribute tagger shares: the `AttributeTagger` interface, its prediction format,
the output classes of a catalog, and the check that a checkpoint was trained on this catalog.

Two taggers implement it: the heads on encoder embeddings (`stylist.models.heads`) and the
pixel CNN (`stylist.models.cnn`); `stylist.models.taggers` picks the configured one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from stylist.catalog.schema import ATTRIBUTES
from stylist.models.errors import ModelMissing

if TYPE_CHECKING:
    from PIL import Image

    from stylist.catalog.store import Catalog

Prediction = dict[str, list[tuple[str, float]]]


class AttributeTagger(Protocol):
    def predict(
        self, images: Sequence[Image.Image | str | Path], top_k: int = 3
    ) -> list[Prediction]:
        """Per image, per attribute: the top_k (label, probability) pairs, most likely first."""
        ...


def ranked_predictions(
    probabilities: Mapping[str, np.ndarray], label_maps: Mapping[str, Sequence[str]], top_k: int
) -> list[Prediction]:
    """{attribute: (n, classes) probabilities} -> per image {attribute: [(label, p), ...]}."""
    if top_k < 1:
        raise ValueError("top_k must be at least 1.")
    n = len(next(iter(probabilities.values()))) if probabilities else 0
    results: list[Prediction] = [{} for _ in range(n)]
    for attribute in ATTRIBUTES:
        if attribute not in probabilities:
            continue
        probs = np.asarray(probabilities[attribute], dtype=np.float64)
        labels = label_maps[attribute]
        k = min(top_k, probs.shape[1])
        order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        for i in range(n):
            results[i][attribute] = [(str(labels[j]), float(probs[i, j])) for j in order[i]]
    return results


def top_labels(
    probabilities: Mapping[str, np.ndarray], label_maps: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """{attribute: (n, classes) probabilities} -> {attribute: the most likely label per row}."""
    return {a: [label_maps[a][j] for j in p.argmax(axis=1)] for a, p in probabilities.items()}


def catalog_label_maps(catalog: Catalog) -> dict[str, list[str]]:
    """Every attribute's classes (rare ones merged into "Other"), sorted: the output units."""
    return {a: sorted(catalog.labels(a).astype(str).unique()) for a in ATTRIBUTES}


def check_catalog(
    label_maps: Mapping[str, Sequence[str]],
    catalog: Catalog | None,
    kind: str,
    path: Path,
    how_to_make: str,
) -> None:
    """A classifier trained on another catalog predicts classes this catalog does not have."""
    if catalog is None:
        return
    current = catalog_label_maps(catalog)
    for attribute in ATTRIBUTES:
        if set(current[attribute]) != set(label_maps.get(attribute, ())):
            raise ModelMissing(
                f"The {kind} at {path} was trained on another catalog (its {attribute} classes "
                f"differ from the catalog ingested now). Run {how_to_make} to train it again."
            )


def validation_split(
    n: int, fraction: float, seed: int, min_items: int
) -> tuple[np.ndarray, np.ndarray]:
    """(fit rows, validation rows) of n training rows: a seeded slice picks the best epoch, so
    the test split stays unseen until the final report. Fewer than `min_items` rows are all
    fitted and validated on themselves."""
    held = np.zeros(n, dtype=bool)
    if n >= min_items:
        rng = np.random.default_rng(seed)
        held[rng.choice(n, size=max(1, int(round(n * fraction))), replace=False)] = True
    fit_rows, val_rows = np.flatnonzero(~held), np.flatnonzero(held)
    return fit_rows, (val_rows if len(val_rows) else fit_rows)
