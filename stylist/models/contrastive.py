"""What both encoder trainers share (the demo / fine-tuning one in `encoder_training`, the
packaged one in `packaged_training`): the multi-field captions, the held-out retrieval metrics,
the per-attribute auxiliary classifiers, CLIP's weight-decay groups and the reports."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from stylist.models import reporting
from stylist.models.ranking import RECALL_AT, first_relevant_ranks, mean_reciprocal_rank, recall_at


def field_caption(name: str, season: str, usage: str) -> str:
    """The name with the fields a name never carries: "Nike Men Black Jacket for winter, sports wear"."""
    extras = []
    if isinstance(season, str) and season:
        extras.append(f"for {season.lower()}")
    if isinstance(usage, str) and usage:
        extras.append(f"{usage.lower()} wear")
    return f"{name} {', '.join(extras)}".strip() if extras else name


def retrieval_metrics(
    text_emb: np.ndarray, image_emb: np.ndarray, names: list[str]
) -> dict[str, dict[str, float]]:
    """Text → image Recall@k and MRR, exact item and same-name relevance (see module doc).

    Ranks follow `stylist.models.ranking` (1-based, the same as `stylist eval search`)."""
    codes = pd.factorize(pd.Series(names))[0]
    relevance = {
        "same_name": [np.flatnonzero(codes == code) for code in codes],
        "exact": [np.array([i]) for i in range(len(names))],
    }
    result: dict[str, dict[str, float]] = {}
    for rule, relevant in relevance.items():
        ranks = first_relevant_ranks(text_emb, image_emb, relevant)
        metrics = {f"recall@{k}": recall_at(ranks, k) for k in RECALL_AT}
        metrics["mrr"] = mean_reciprocal_rank(ranks)
        result[rule] = metrics
    result["queries"] = {"n": len(names), "distinct_names": int(len(set(names)))}
    return result


class AttributeProbes(nn.Module):
    """One linear classifier per attribute on the (normalised) image embedding."""

    def __init__(self, dim: int, sizes: list[int]):
        super().__init__()
        self.heads = nn.ModuleList(nn.Linear(dim, n) for n in sizes)

    def loss(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        # Unit-norm inputs would need huge weights for confident logits; scaling by sqrt(dim)
        # gives each component unit variance so the probes learn at the encoder's pace.
        features = features * math.sqrt(features.shape[-1])
        losses = [
            nn.functional.cross_entropy(head(features), labels[:, i], ignore_index=-100)
            for i, head in enumerate(self.heads)
        ]
        return torch.stack(losses).mean()


def contrastive_step(
    model: nn.Module,
    images: torch.Tensor,
    texts: torch.Tensor,
    aux: torch.Tensor,
    *,
    loss_fn: nn.Module,
    aux_weight: float,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
) -> tuple[float, float]:
    """One optimiser step on CLIP's loss of (normalised) image and text embeddings plus the
    attribute probes' loss `aux`; both encoder trainers take it. Returns the two losses."""
    contrastive = loss_fn(images, texts, model.logit_scale.exp())
    loss = contrastive + aux_weight * aux
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    scheduler.step()
    with torch.no_grad():  # CLIP clamps the temperature at 100
        model.logit_scale.clamp_(0, math.log(100))
    return contrastive.item(), aux.item()


def param_groups(modules: list[nn.Module], weight_decay: float) -> list[dict[str, Any]]:
    """No weight decay on gains, biases, embeddings and the temperature (CLIP's recipe)."""
    decay, no_decay = [], []
    for module in modules:
        for name, p in module.named_parameters():
            if not p.requires_grad:
                continue
            plain = p.ndim < 2 or "embedding" in name or "logit_scale" in name or "ln" in name
            (no_decay if plain else decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def write_reports(results: dict[str, Any], folder: Path) -> dict[str, str]:
    loss_png = reporting.plot_loss_curves(
        results["history"], folder / "loss.png", f"encoder training ({results['model_name']})"
    )
    recall_png = reporting.plot_curves(
        {
            f"{when} ({rule})": {k: results[when][rule][f"recall@{k}"] for k in RECALL_AT}
            for when in ("before", "after")
            for rule in ("same_name", "exact")
        },
        folder / "recall.png",
        "text → image recall on held-out items",
        "k",
        "recall@k",
    )
    return {
        "json": str(folder / "training.json"),
        "loss_png": str(loss_png),
        "recall_png": str(recall_png),
    }
