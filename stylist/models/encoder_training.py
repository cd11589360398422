"""Contrastive training of the encoder: the demo encoder from scratch, or a pretrained one tuned.

The objective is CLIP's: symmetric InfoNCE between a batch of pictures and their texts
(`open_clip.ClipLoss`). Two additions make the embedding serve the attribute heads as well as
search, and both are honest about what they use (the catalog's own training labels only):

- **Multi-field captions** (after Marqo's GCL): a picture is paired with its productDisplayName
  most of the time, and otherwise with the name plus its season and usage words ("... for
  winter, casual wear"). Season is never in a Kaggle name, so a name-only objective has no reason
  to encode it; this way text queries such as "winter jacket" also mean something.
- **An image-side auxiliary**: one linear classifier per attribute on the image embedding, trained
  jointly with cross-entropy (weight `aux_weight`), so all 7 attributes (season included) are
  linearly readable from the frozen embedding. The classifiers are thrown away after training.

Held-out evaluation (catalog.test) is text → image retrieval: each held-out item's name queries
the held-out pictures. Names repeat across items (several "Nike Men Black Sports Shoes" that
differ only in pose or fabric), so two relevance rules are reported:

- ``same_name`` (the headline): a hit is any picture whose item has exactly the query's name —
  nothing in the query can tell those items apart;
- ``exact``: only the query's own item counts (a lower bound).

Pictures are decoded once into one uint8 tensor (`Encoder.pixels`) and every epoch reads from
it; horizontal flips are the only augmentation, because colour is a label.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import open_clip
import torch
from torch import nn
from tqdm import tqdm

from stylist.catalog.schema import ATTRIBUTES
from stylist.catalog.store import Catalog
from stylist.layout import InstallLayout
from stylist.models import reporting
from stylist.models.augment import augment
from stylist.models.checkpoints import read_checkpoint, save_checkpoint
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
from stylist.models.encoder import Encoder, build_encoder, load_encoder, save_encoder
from stylist.models.encoder.packaged import is_packaged_spec
from stylist.models.errors import ModelMissing
from stylist.models.packaged_training import PackagedTrainOptions, train_packaged_encoder
from stylist.models.schedules import warmup_cosine
from stylist.settings import StyleSettings, get_settings

# Epoch-level resume state (models_dir/RESUME_FILE): written after every epoch, removed when the
# encoder is saved. Added for `stylist eval-real`, whose encoder stage trains for ~20 minutes.
RESUME_FILE = "encoder.resume.pt"
RESUME_KIND = "encoder training state"


class EncoderTrainOptions(TrainingConfig):
    """Everything that decides a training run (written into the report and the checkpoint)."""

    model_name: str = "stylist-demo"  # an open_clip config (from scratch) — demo mode only
    # 20 flip-only epochs: the whole demo training (encoder + heads + few-shot) in 256 s on the
    # 2-core machine with the 512-d stylist_resnet_xs tower (16 affine epochs took 250 s for
    # season F1 0.89 instead of 0.915).
    epochs: int = 20
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup_fraction: float = 0.1
    # Weight of the per-attribute classifiers on the image embedding. 10 (was 2): on the 3,000-item
    # demo with the CNN tower, 5 → 10 moved season F1 0.83 → 0.85 at unchanged recall.
    aux_weight: float = 10.0
    field_caption_prob: float = 0.3  # share of captions that add season + usage to the name
    flip: bool = True
    # Small random affine moves (rotation, scale, shift; colour untouched) on top of the flips,
    # the CNN's colour-safe augmentation. Off for the demo encoder: bilinear resampling blurs the
    # fine fabric textures that carry season (3,000-item demo: season F1 0.89 with, 0.90 without
    # at 16 epochs), and it costs 2 s an epoch that buy more epochs instead.
    affine: bool = False
    seed: int = 0
    # Fine-tuning a pretrained encoder: how many transformer blocks (per tower) to train besides
    # the projection layers; 0 = projections only.
    unfreeze_blocks: int = 0
    # Fit a logistic regression per attribute on the result (report only; off by default: the
    # attribute heads measure the same thing on the same embeddings).
    probe: bool = False

    @classmethod
    def quick(cls) -> EncoderTrainOptions:
        """Seconds, for tests and `--quick`: the tiny config, a few short epochs."""
        return cls(model_name="stylist-tiny", epochs=3, batch_size=64, lr=3e-3, probe=False)


@dataclass
class _Data:
    pixels: torch.Tensor  # uint8 (n, 3, H, W)
    names: list[str]
    field_captions: list[str]
    labels: torch.Tensor  # int64 (n, n_attributes)
    label_maps: dict[str, list[str]] = field(default_factory=dict)


# --- captions and labels -------------------------------------------------------------------


def _prepare(
    encoder: Encoder, catalog: Catalog, split: str, label_maps: dict[str, list[str]], progress: bool
) -> _Data:
    items = catalog.items[catalog.items["split"] == split]
    names = items["productDisplayName"].fillna("").astype(str).tolist()
    captions = [
        field_caption(n, s, u)
        for n, s, u in zip(names, items["season"].tolist(), items["usage"].tolist(), strict=True)
    ]
    columns = []
    for attribute in ATTRIBUTES:
        index = {label: i for i, label in enumerate(label_maps[attribute])}
        values = catalog.labels(attribute, split).reindex(items.index)
        columns.append([index.get(v, -100) for v in values])  # -100: ignored by cross-entropy
    labels = torch.tensor(np.array(columns, dtype=np.int64).T.reshape(len(items), len(ATTRIBUTES)))
    pixels = encoder.pixels(items["image"].tolist(), progress=progress, desc=f"decode {split}")
    return _Data(pixels, names, captions, labels, label_maps)


# --- retrieval evaluation ------------------------------------------------------------------


def evaluate_encoder(
    encoder: Encoder,
    catalog: Catalog,
    *,
    split: str = "test",
    pixels: torch.Tensor | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Held-out items' names query the held-out pictures."""
    items = catalog.items[catalog.items["split"] == split]
    if items.empty:
        raise ValueError(f"The catalog has no {split} items to evaluate the encoder on.")
    names = items["productDisplayName"].fillna("").astype(str).tolist()
    if pixels is None:
        images = encoder.encode_images(items["image"].tolist(), progress=progress)
    else:
        images = encoder.encode_pixels(pixels)
    texts = encoder.encode_texts(names)
    return retrieval_metrics(texts, images, names)


def attribute_probe(
    encoder: Encoder, catalog: Catalog, train: torch.Tensor, test: torch.Tensor
) -> dict[str, float]:
    """Weighted F1 of a logistic regression per attribute on frozen image embeddings: a check
    that the embedding serves simple heads (the real heads live in heads.py)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x_train, x_test = encoder.encode_pixels(train), encoder.encode_pixels(test)
    scores = {}
    for attribute in ATTRIBUTES:
        y_train = catalog.labels(attribute, "train").to_numpy()
        y_test = catalog.labels(attribute, "test").to_numpy()
        if len(set(y_train)) < 2:
            scores[attribute] = 1.0
            continue
        # Standardised features: unit-norm embeddings have tiny per-dimension variance, which
        # makes lbfgs crawl; scaling is part of the simple head, not of the encoder.
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        clf.fit(x_train, y_train)
        scores[attribute] = float(f1_score(y_test, clf.predict(x_test), average="weighted"))
    scores["average"] = float(np.mean([scores[a] for a in ATTRIBUTES]))
    return scores


# --- training ------------------------------------------------------------------------------


def _lock_for_finetuning(model: nn.Module, unfreeze_blocks: int) -> None:
    """Train the projections (and the last N blocks of each tower), freeze the rest (LiT-style,
    with open_clip's own lock functions so every architecture is handled the same way)."""
    model.lock_image_tower(unlocked_groups=1 + unfreeze_blocks)
    model.lock_text_tower(unlocked_layers=1 + unfreeze_blocks)
    if isinstance(getattr(model, "logit_scale", None), nn.Parameter):
        model.logit_scale.requires_grad = True


def _contrastive_loss(encoder: Encoder, data: _Data, batch_size: int) -> float:
    """Mean ClipLoss over fixed batches of a split, names as texts (for curves and checks)."""
    loss_fn = open_clip.ClipLoss()
    model, total, count = encoder.model, 0.0, 0
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(data.names), batch_size):
            stop = min(start + batch_size, len(data.names))
            if stop - start < 2:
                continue
            img = model.encode_image(
                encoder.normalize_pixels(data.pixels[start:stop]), normalize=True
            )
            txt = model.encode_text(
                encoder.tokenize(data.names[start:stop]).to(encoder.device), normalize=True
            )
            total += float(loss_fn(img, txt, model.logit_scale.exp())) * (stop - start)
            count += stop - start
    return total / max(count, 1)


def train_encoder(
    catalog: Catalog,
    settings: StyleSettings | None = None,
    *,
    quick: bool = False,
    progress: bool = True,
    options: EncoderTrainOptions | PackagedTrainOptions | None = None,
    resume: bool = True,
) -> dict[str, Any]:
    """Train the demo encoder (settings.encoder == "demo"), the projections of a packaged one
    (`packaged:NAME`, see packaged_training; options are then PackagedTrainOptions), or
    fine-tune the configured one.

    An interrupted run continues after its last finished epoch when called again with the same
    options, encoder spec and training items (models_dir/encoder.resume.pt); `resume=False`
    starts afresh.

    Demo: from scratch with `options.model_name`, saved to models_dir/encoder. Otherwise the
    pretrained spec is tuned and saved to models_dir/encoder-finetuned (point STYLIST_ENCODER
    there to use it). Returns the metrics written to reports_dir/encoder/training.json.
    """
    settings = settings or get_settings()
    if is_packaged_spec(settings.encoder):
        if options is not None and not isinstance(options, PackagedTrainOptions):
            raise ValueError(
                f"{settings.encoder} trains with PackagedTrainOptions, not {type(options).__name__}."
            )
        packaged = options or (PackagedTrainOptions.quick() if quick else None)
        return train_packaged_encoder(
            catalog, settings, options=packaged, progress=progress, resume=resume
        )
    options = options or (EncoderTrainOptions.quick() if quick else EncoderTrainOptions())
    if len(catalog.train) < 2 or len(catalog.test) < 1:
        raise ValueError("The encoder needs at least 2 training items and 1 held-out item.")
    started = time.perf_counter()
    torch.manual_seed(options.seed)
    rng = np.random.default_rng(options.seed)

    from_scratch = settings.encoder == "demo"
    if from_scratch:
        encoder = build_encoder(
            options.model_name,
            seed=options.seed,
            spec="demo",
            device=select_device(settings.device),
            batch_size=settings.batch_size,
        )
        out_dir = InstallLayout.of(settings).encoder_dir
    else:
        encoder = load_encoder(settings.encoder, settings)
        _lock_for_finetuning(encoder.model, options.unfreeze_blocks)
        out_dir = InstallLayout.of(settings).finetuned_encoder_dir
    model = encoder.model

    label_maps = {
        a: sorted(catalog.labels(a, "train").dropna().unique().tolist()) for a in ATTRIBUTES
    }
    train = _prepare(encoder, catalog, "train", label_maps, progress)
    test = _prepare(encoder, catalog, "test", label_maps, progress)

    before = evaluate_encoder(encoder, catalog, pixels=test.pixels)
    loss_before = _contrastive_loss(encoder, train, options.batch_size)

    probes = AttributeProbes(encoder.dim, [len(label_maps[a]) for a in ATTRIBUTES])
    probes.to(encoder.device)
    optimizer = torch.optim.AdamW(
        param_groups([model, probes], options.weight_decay),
        lr=options.lr,
        betas=(0.9, 0.98),
        eps=1e-6,
    )
    n = len(train.names)
    batch = min(options.batch_size, n)
    steps_per_epoch = max(1, n // batch)  # drop the ragged last batch: contrastive needs peers
    total_steps = steps_per_epoch * options.epochs
    scheduler = warmup_cosine(optimizer, total_steps, options.warmup_fraction)
    loss_fn = open_clip.ClipLoss()
    history: dict[str, list[float]] = {
        "train contrastive": [],
        "train attribute aux": [],
        "held-out contrastive": [],
    }
    resume_path = settings.models_dir / RESUME_FILE
    resume_meta = {
        "options": options.model_dump(),
        "spec": settings.encoder,
        "train_ids": [int(i) for i in catalog.train["id"]],
    }
    first_epoch, seconds_before = 0, 0.0
    if resume and resume_path.is_file():
        try:
            state = read_checkpoint(resume_path, RESUME_KIND, "`stylist train encoder`")
        except ModelMissing:
            state = None
        if state and all(state.get(k) == v for k, v in resume_meta.items()):
            model.load_state_dict(state["model"])
            probes.load_state_dict(state["probes"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            history, first_epoch = state["history"], int(state["epoch"])
            seconds_before = float(state["train_seconds"])
            rng.bit_generator.state = state["numpy_rng"]
            torch.set_rng_state(state["torch_rng"])
    bar = tqdm(
        total=total_steps,
        initial=first_epoch * steps_per_epoch,
        desc="train encoder",
        disable=not progress,
        unit="step",
    )
    for epoch in range(first_epoch, options.epochs):
        model.train()
        order = torch.from_numpy(rng.permutation(n))
        sums = np.zeros(2)
        for step in range(steps_per_epoch):
            idx = order[step * batch : (step + 1) * batch]
            if options.affine:  # flips included; works on [0, 1] pixels, before normalising
                x = augment(train.pixels[idx].to(encoder.device).float().div_(255.0))
                x = encoder.standardize(x)
            else:
                x = encoder.normalize_pixels(train.pixels[idx])
            if options.flip and not options.affine:
                flip = torch.from_numpy(rng.random(len(idx)) < 0.5).to(x.device)
                x = torch.where(flip[:, None, None, None], x.flip(-1), x)
            use_fields = rng.random(len(idx)) < options.field_caption_prob
            texts = [
                train.field_captions[i] if f else train.names[i]
                for i, f in zip(idx.tolist(), use_fields, strict=True)
            ]
            img = model.encode_image(x, normalize=True)
            txt = model.encode_text(encoder.tokenize(texts).to(encoder.device), normalize=True)
            sums += contrastive_step(
                model,
                img,
                txt,
                probes.loss(img, train.labels[idx].to(x.device)),
                loss_fn=loss_fn,
                aux_weight=options.aux_weight,
                optimizer=optimizer,
                scheduler=scheduler,
            )
            bar.update(1)
            bar.set_postfix(loss=f"{sums[0] / (step + 1):.3f}", aux=f"{sums[1] / (step + 1):.3f}")
        history["train contrastive"].append(sums[0] / steps_per_epoch)
        history["train attribute aux"].append(sums[1] / steps_per_epoch)
        history["held-out contrastive"].append(_contrastive_loss(encoder, test, options.batch_size))
        save_checkpoint(
            {
                "kind": RESUME_KIND,
                **resume_meta,
                "epoch": epoch + 1,
                "model": model.state_dict(),
                "probes": probes.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                # plain floats: numpy scalars do not load with torch.load(weights_only=True)
                "history": {k: [float(v) for v in values] for k, values in history.items()},
                "train_seconds": seconds_before + time.perf_counter() - started,
                "numpy_rng": rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(),
            },
            resume_path,
        )
    bar.close()
    model.eval()
    train_seconds = seconds_before + time.perf_counter() - started

    loss_after = _contrastive_loss(encoder, train, options.batch_size)
    after = evaluate_encoder(encoder, catalog, pixels=test.pixels)
    metadata = {
        "options": options.model_dump(),
        "trained_on_items": int(n),
        "train_seconds": round(train_seconds, 1),
    }
    save_encoder(encoder, out_dir, metadata=metadata)
    resume_path.unlink(missing_ok=True)
    saved = load_encoder("demo" if from_scratch else str(out_dir), settings)

    results: dict[str, Any] = {
        "mode": "from scratch" if from_scratch else f"fine-tuned from {settings.encoder}",
        "spec": saved.spec,
        "fingerprint": saved.fingerprint,
        "model_name": options.model_name if from_scratch else encoder.model_name,
        "directory": out_dir,
        "params": encoder.n_params,
        "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "items": {"train": n, "test": len(test.names)},
        "options": options.model_dump(),
        "headline": "same_name recall@10 (text -> image, held-out names vs held-out pictures)",
        "before": before,
        "after": after,
        "train_loss_before": loss_before,
        "train_loss_after": loss_after,
        "history": history,
        "train_seconds": round(train_seconds, 1),
        "resumed_from_epoch": first_epoch or None,
    }
    if options.probe:
        results["attribute_probe_weighted_f1"] = attribute_probe(
            saved, catalog, train.pixels, test.pixels
        )
    results["reports"] = write_reports(results, settings.reports_dir / "encoder")
    results["seconds"] = round(time.perf_counter() - started, 1)
    reporting.write_json(results, settings.reports_dir / "encoder" / "training.json")
    return results
