"""Attribute heads: one small MLP per catalog attribute on the frozen encoder's image embedding.

The default tagger (settings.attribute_model == "heads"). It trains in seconds on the
embeddings that the search index computes anyway (`embed_catalog`), and tagging a photo costs
one encoder pass, shared with the search that usually follows.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from stylist.catalog.schema import ATTRIBUTES
from stylist.layout import InstallLayout
from stylist.models.checkpoints import (
    check_encoder,
    read_checkpoint,
    read_config,
    save_checkpoint,
)
from stylist.models.configs import TrainingConfig
from stylist.models.embeddings import CatalogEmbeddings, embed_catalog
from stylist.models.encoder import Encoder, get_encoder
from stylist.models.errors import ModelMissing
from stylist.models.metrics import majority_accuracy, weighted_f1_table, write_attribute_report
from stylist.models.schedules import one_cycle
from stylist.models.tagging import (
    Prediction,
    catalog_label_maps,
    check_catalog,
    ranked_predictions,
    top_labels,
    validation_split,
)
from stylist.settings import StyleSettings, get_settings

if TYPE_CHECKING:
    from PIL import Image

    from stylist.catalog.store import Catalog

log = logging.getLogger(__name__)

HEADS_KIND = "attribute heads"
HOW_TO_MAKE_HEADS = "`stylist train attributes` (or `make demo` for the demo installation)"
REPORT_NAME = "attributes-heads"


class AttributeHeads(nn.Module):
    """One small MLP (or a linear layer, hidden=0) per attribute on a frozen embedding.

    The seven hidden layers are computed as one wide matrix product and then split, which is
    the same maths as seven separate layers but a seventh of the small-op overhead (this trains
    on a CPU shared with everything else). Inputs are standardised with the training
    embeddings' mean and spread (buffers, so they travel with the weights): CLIP features are
    small correlated numbers on a sphere and an MLP learns faster from centred, unit-scale ones.
    """

    def __init__(
        self, dim: int, num_classes: Mapping[str, int], hidden: int = 256, dropout: float = 0.2
    ):
        super().__init__()
        self.hidden = hidden
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        self.input_dropout = nn.Dropout(dropout / 2 if hidden else dropout)
        width = hidden or dim
        self.shared = (
            nn.Sequential(nn.Linear(dim, hidden * len(ATTRIBUTES)), nn.GELU(), nn.Dropout(dropout))
            if hidden
            else nn.Identity()
        )
        self.heads = nn.ModuleDict({a: nn.Linear(width, num_classes[a]) for a in ATTRIBUTES})

    def set_standardisation(self, embeddings: torch.Tensor) -> None:
        self.mean.copy_(embeddings.mean(dim=0))
        self.std.copy_(embeddings.std(dim=0).clamp_min(1e-6))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.shared(self.input_dropout((x - self.mean) / self.std))
        if self.hidden:
            parts = h.split(self.hidden, dim=1)
            return {a: self.heads[a](part) for a, part in zip(ATTRIBUTES, parts, strict=True)}
        return {a: head(h) for a, head in self.heads.items()}


class HeadsConfig(TrainingConfig):
    hidden: int = 256
    dropout: float = 0.2
    epochs: int = 60
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 0.01
    # 0.15 (was 0.05): on the 3,000-item demo with the 512-d demo encoder, season F1 0.900 -> 0.914
    # at the same cost (0.1 and 0.2 gave 0.912 and 0.915).
    label_smoothing: float = 0.15
    validation_fraction: float = 0.1
    seed: int = 0


class HeadsTagger:
    """Encoder + heads behind the AttributeTagger interface."""

    def __init__(
        self, encoder: Encoder, heads: AttributeHeads, label_maps: Mapping[str, Sequence[str]]
    ):
        self.encoder = encoder
        self.heads = heads.eval()
        self.label_maps = {a: list(v) for a, v in label_maps.items()}

    def predict(
        self, images: Sequence[Image.Image | str | Path], top_k: int = 3
    ) -> list[Prediction]:
        from PIL import Image as PILImage

        if isinstance(images, (PILImage.Image, str, Path)):
            images = [images]
        images = list(images)
        if not images:
            return []
        return self.predict_embeddings(self.encoder.encode_images(images), top_k)

    def predict_embeddings(self, embeddings: np.ndarray, top_k: int = 3) -> list[Prediction]:
        """Tag from image embeddings already computed (e.g. by a search on the same photo)."""
        return ranked_predictions(
            head_probabilities(self.heads, embeddings), self.label_maps, top_k
        )


@torch.no_grad()
def head_probabilities(
    heads: AttributeHeads, embeddings: np.ndarray, batch_size: int = 4096
) -> dict[str, np.ndarray]:
    heads.eval()
    x = torch.as_tensor(np.asarray(embeddings, dtype=np.float32))
    parts: dict[str, list[np.ndarray]] = {a: [] for a in ATTRIBUTES}
    for start in range(0, len(x), batch_size):
        for attribute, logits in heads(x[start : start + batch_size]).items():
            parts[attribute].append(logits.softmax(dim=1).numpy())
    return {a: np.concatenate(p) for a, p in parts.items() if p}


def fit_heads(
    embeddings: np.ndarray,
    targets: Mapping[str, np.ndarray],
    label_maps: Mapping[str, Sequence[str]],
    config: HeadsConfig,
    progress: bool = True,
) -> tuple[AttributeHeads, dict[str, list[float]], list[float]]:
    """Train the heads; keep the epoch with the best validation average weighted F1.

    Returns (heads, loss history per attribute + total, validation F1 per epoch). The validation
    rows are a seeded slice of the given (training) rows; the test split is never seen here.
    """
    torch.manual_seed(config.seed)
    fit_rows, val_rows = validation_split(
        len(embeddings), config.validation_fraction, config.seed, min_items=20
    )
    x = torch.as_tensor(np.asarray(embeddings, dtype=np.float32))
    y = {a: torch.as_tensor(np.asarray(targets[a], dtype=np.int64)) for a in ATTRIBUTES}
    heads = AttributeHeads(
        x.shape[1],
        {a: len(v) for a, v in label_maps.items()},
        hidden=config.hidden,
        dropout=config.dropout,
    )
    heads.set_standardisation(x[fit_rows])
    optimizer = torch.optim.AdamW(
        heads.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    steps_per_epoch = max(1, math.ceil(len(fit_rows) / config.batch_size))
    scheduler = one_cycle(optimizer, config.lr, config.epochs * steps_per_epoch, pct_start=0.1)
    history: dict[str, list[float]] = {"total": [], **{a: [] for a in ATTRIBUTES}}
    val_history: list[float] = []
    best_score, best_state = -1.0, None
    for _epoch in tqdm(
        range(config.epochs), desc="attribute heads", unit="epoch", disable=not progress
    ):
        heads.train()
        order = torch.as_tensor(fit_rows)[torch.randperm(len(fit_rows))]
        sums = {a: 0.0 for a in ATTRIBUTES}
        for step in range(steps_per_epoch):
            rows = order[step * config.batch_size : (step + 1) * config.batch_size]
            logits = heads(x[rows])
            losses = {
                a: F.cross_entropy(logits[a], y[a][rows], label_smoothing=config.label_smoothing)
                for a in ATTRIBUTES
            }
            total = sum(losses.values())
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            scheduler.step()
            for a in ATTRIBUTES:
                sums[a] += float(losses[a].detach())
        for a in ATTRIBUTES:
            history[a].append(sums[a] / steps_per_epoch)
        history["total"].append(sum(sums.values()) / steps_per_epoch)
        probs = head_probabilities(heads, x[val_rows].numpy())
        score = weighted_f1_table(
            {a: y[a][val_rows].numpy() for a in ATTRIBUTES},
            {a: probs[a].argmax(1) for a in ATTRIBUTES},
        )["average"]
        val_history.append(score)
        if score > best_score:
            best_score = score
            best_state = copy.deepcopy(heads.state_dict())
    heads.load_state_dict(best_state)
    return heads.eval(), history, val_history


def train_attribute_heads(
    catalog: Catalog,
    settings: StyleSettings | None = None,
    *,
    quick: bool = False,
    progress: bool = True,
    **options: Any,
) -> dict[str, Any]:
    """Train the heads on the catalog's training photos (image embeddings: a chat photo has
    no name, so the heads must not lean on the text), evaluate on the test split, and write
    models_dir/attribute-heads.pt + reports_dir/attributes-heads*.json/png."""
    settings = settings or get_settings()
    if quick:
        options = {"epochs": 25, **options}
    config = HeadsConfig.from_options(**options)
    train_items = catalog.train
    if len(train_items) < 10 or len(catalog.test) < 1:
        raise ValueError(
            f"The catalog has {len(train_items)} training and {len(catalog.test)} test items; "
            "the attribute heads need at least 10 and 1."
        )
    encoder = get_encoder(settings)
    started = time.perf_counter()
    embeddings = embed_catalog(catalog, encoder, progress=progress, settings=settings)
    embed_seconds = time.perf_counter() - started

    label_maps = catalog_label_maps(catalog)
    index = {a: {label: i for i, label in enumerate(label_maps[a])} for a in ATTRIBUTES}
    train_x = embeddings.image[embeddings.rows(train_items["id"].to_numpy())]
    train_labels = {a: catalog.labels(a, "train").astype(str).tolist() for a in ATTRIBUTES}
    targets = {a: np.array([index[a][v] for v in train_labels[a]]) for a in ATTRIBUTES}

    started = time.perf_counter()
    heads, history, val_history = fit_heads(train_x, targets, label_maps, config, progress)
    train_seconds = time.perf_counter() - started

    path = InstallLayout.of(settings).heads_path
    save_checkpoint(
        {
            "kind": HEADS_KIND,
            "encoder_fingerprint": encoder.fingerprint,
            "encoder_spec": encoder.spec,
            "embedding_dim": int(train_x.shape[1]),
            "labels": label_maps,
            "config": config.model_dump(),
            "state_dict": heads.state_dict(),
            "catalog_items": len(catalog),
        },
        path,
    )

    train_pred = top_labels(head_probabilities(heads, train_x), label_maps)
    train_accuracy = {
        a: float(np.mean(np.array(train_pred[a]) == np.array(train_labels[a]))) for a in ATTRIBUTES
    }
    report = evaluate_heads(
        catalog,
        settings,
        HeadsTagger(encoder, heads, label_maps),
        embeddings,
        progress,
        history=history,
        extra={
            "config": config.model_dump(),
            "checkpoint": str(path),
            "encoder": encoder.spec,
            "encoder_fingerprint": encoder.fingerprint,
            "train_items": len(train_items),
            "train_accuracy": train_accuracy,
            "train_majority_accuracy": {a: majority_accuracy(train_labels[a]) for a in ATTRIBUTES},
            "validation_average_f1_per_epoch": val_history,
            "embed_seconds": embed_seconds,
            "train_seconds": train_seconds,
        },
    )
    return report


def evaluate_heads(
    catalog: Catalog,
    settings: StyleSettings,
    tagger: HeadsTagger,
    embeddings: CatalogEmbeddings | None = None,
    progress: bool = True,
    *,
    history: Mapping[str, Sequence[float]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Weighted F1 of the heads on the test split; writes the attributes-heads report."""
    if embeddings is None:
        embeddings = embed_catalog(catalog, tagger.encoder, progress=progress, settings=settings)
    test_x = embeddings.image[embeddings.rows(catalog.test["id"].to_numpy())]
    truth = {a: catalog.labels(a, "test").astype(str).tolist() for a in ATTRIBUTES}
    predicted = top_labels(head_probabilities(tagger.heads, test_x), tagger.label_maps)
    return write_attribute_report(
        REPORT_NAME,
        truth,
        predicted,
        tagger.label_maps,
        settings.reports_dir,
        history=history,
        extra={"model_kind": "heads", **(extra or {})},
    )


def load_heads_tagger(
    settings: StyleSettings | None = None,
    *,
    encoder: Encoder | None = None,
    catalog: Catalog | None = None,
    path: Path | None = None,
) -> HeadsTagger:
    """Read attribute-heads.pt for the configured encoder (ModelMissing with a sentence when it
    is missing, damaged, or made for another encoder / catalog)."""
    settings = settings or get_settings()
    path = Path(path or InstallLayout.of(settings).heads_path)
    payload = read_checkpoint(path, HEADS_KIND, HOW_TO_MAKE_HEADS)
    encoder = encoder or get_encoder(settings)
    check_encoder(payload, encoder.fingerprint, HEADS_KIND, path, HOW_TO_MAKE_HEADS)
    check_catalog(payload["labels"], catalog, HEADS_KIND, path, HOW_TO_MAKE_HEADS)
    config = read_config(payload, HeadsConfig, HEADS_KIND, path, HOW_TO_MAKE_HEADS)
    heads = AttributeHeads(
        int(payload["embedding_dim"]),
        {a: len(v) for a, v in payload["labels"].items()},
        hidden=config.hidden,
        dropout=config.dropout,
    )
    try:
        heads.load_state_dict(payload["state_dict"])
    except (RuntimeError, KeyError):
        raise ModelMissing(
            f"The {HEADS_KIND} at {path} do not match their own configuration. "
            f"Run {HOW_TO_MAKE_HEADS} to make them again."
        ) from None
    return HeadsTagger(encoder, heads, payload["labels"])
