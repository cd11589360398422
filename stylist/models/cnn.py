"""A multi-task CNN for the 7 attributes, trained on pixels (torchvision backbones, or the
packaged ImageNet EfficientNet-Lite0 fine-tuned: `--backbone efficientnet_lite0 --pretrained`).

The reference project's idea, made configurable: a *routing* (data, not code) says which
backbone serves which attributes, so coarse attributes can share a small, fast backbone while
fine-grained ones (article type, colour) get a deeper one, e.g.

    {"mobilenet_v2": ["gender", "masterCategory", "subCategory", "season", "usage"],
     "resnet18": ["articleType", "baseColour"]}

Each backbone is shared by its attributes and every attribute has its own linear head.
Training: all photos decoded once into one uint8 tensor at a small size (the real catalog's
thumbnails are 60x80), colour-safe augmentation (flip + small affine; no hue or colour jitter,
since colour is a label), class-weighted cross-entropy or focal loss, one-cycle AdamW, the best
epoch kept by validation average weighted F1 (validation = a slice of the training split; the
test split stays unseen until the final report), and a resumable checkpoint after every epoch.

Fine-tuning the pretrained Lite0: its own preprocessing (pad to square on white, mean/std
0.498/0.502), BatchNorm training with momentum 0.1 (optionally on its ImageNet statistics for the
first `bn_freeze_steps`), a lower learning rate on the backbone than on the new heads, and no weight
decay on norms and biases. The colour head can also read the garment's own pixels (a Lab
histogram with the background removed), since colour is what a pooled ImageNet feature keeps least.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image, ImageOps
from pydantic import Field, field_validator, model_validator
from torch import nn
from tqdm import tqdm

from stylist.catalog.schema import ATTRIBUTES
from stylist.images import load_image
from stylist.layout import InstallLayout
from stylist.models import pretrained as lite0
from stylist.models.augment import augment
from stylist.models.checkpoints import read_checkpoint, read_config, save_checkpoint
from stylist.models.configs import TrainingConfig
from stylist.models.devices import channels_last, channels_last_input, select_device
from stylist.models.errors import ModelMissing, PretrainedUnavailable
from stylist.models.garment_colour import COLOUR_FEATURE_DIM, colour_histogram
from stylist.models.metrics import format_f1_table, weighted_f1_table, write_attribute_report
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
    from stylist.catalog.store import Catalog

log = logging.getLogger(__name__)

CNN_KIND = "attribute CNN"
RESUME_KIND = "attribute CNN training state"
HOW_TO_MAKE_CNN = "`stylist train cnn`"
REPORT_NAME = "attributes-cnn"

# ImageNet statistics: what pretrained torchvision backbones expect, harmless from scratch.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)

LITE0 = "efficientnet_lite0"
BACKBONES = (
    "resnet18",
    "resnet50",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    LITE0,
)
# Each backbone normalises its input the way its pretrained weights were trained; the packaged
# Lite0 (TF Lite) weights saw (x - 127) / 128, the torchvision ones ImageNet mean/std.
NORMALISATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    LITE0: (lite0.MEAN, lite0.STD)
}
# The fine-tuning recipe measured on the real catalog (34,525 items, 2 CPU cores) for the
# pretrained Lite0: the whole network fine-tuned, 128 px squares padded with white (the catalog's
# background; stretching a 60x80 thumbnail distorts every garment the ImageNet weights know),
# flips only, a lower learning rate on the pretrained backbone than on the new heads, 4 epochs.
# Options given explicitly win over these.
PRETRAINED_LITE0_RECIPE: dict[str, Any] = {
    "height": 128,
    "width": 128,
    "fit": "pad",
    "affine": False,
    "epochs": 4,
    "batch_size": 96,
    "lr": 1e-3,
    "head_lr": 3e-3,
}
_WEIGHTS = {
    "resnet18": "ResNet18_Weights",
    "resnet50": "ResNet50_Weights",
    "mobilenet_v2": "MobileNet_V2_Weights",
    "mobilenet_v3_small": "MobileNet_V3_Small_Weights",
    "mobilenet_v3_large": "MobileNet_V3_Large_Weights",
}

# Coarse attributes on the small backbone, fine-grained ones on the deeper one.
DEFAULT_ROUTING: dict[str, list[str]] = {
    "mobilenet_v2": ["gender", "masterCategory", "subCategory", "season", "usage"],
    "resnet18": ["articleType", "baseColour"],
}


class CNNConfig(TrainingConfig):
    routing: dict[str, list[str]] = Field(default_factory=lambda: copy.deepcopy(DEFAULT_ROUTING))
    height: int = 80
    width: int = 60
    epochs: int = 8
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.05
    loss: str = "ce"  # "ce" (cross-entropy) or "focal"
    focal_gamma: float = 2.0
    class_weighted: bool = True
    label_smoothing: float = 0.1
    augment: bool = True
    pretrained: bool = False
    # Learning rate of the heads (and the colour branch); None: the same as the backbone's.
    head_lr: float | None = None
    # BatchNorm momentum of every backbone layer; None keeps each backbone's own (0.1).
    bn_momentum: float | None = Field(None, gt=0.0, le=1.0)
    # The first steps with BatchNorm on its stored (ImageNet) statistics: the new heads' first,
    # large gradients then do not meet statistics that are still being re-estimated.
    bn_freeze_steps: int = Field(0, ge=0)
    # How a photo becomes the input: "stretch" to height x width, or "pad" (aspect kept,
    # white border, like the catalog's own background).
    fit: Literal["stretch", "pad"] = "stretch"
    affine: bool = True  # with augment: the small random affine besides the flips
    # The colour head also sees a Lab histogram of the garment's own pixels (background out).
    colour_features: bool = False
    validation_fraction: float = 0.1
    seed: int = 0

    @field_validator("routing", mode="before")
    @classmethod
    def _known_routing(cls, routing: Any) -> dict[str, list[str]]:
        return validate_routing(routing)

    @model_validator(mode="after")
    def _sensible(self) -> CNNConfig:
        if self.loss not in ("ce", "focal"):
            raise ValueError(f'The loss must be "ce" or "focal", not "{self.loss}".')
        if self.height < 16 or self.width < 16:
            raise ValueError("The input size must be at least 16x16 pixels.")
        if self.epochs < 1 or self.batch_size < 2:
            raise ValueError("Train for at least 1 epoch with batches of at least 2 images.")
        return self


def validate_routing(routing: Mapping[str, Sequence[str]] | str) -> dict[str, list[str]]:
    """Check a routing (a dict, or its JSON text / a JSON file name): known backbones, every
    attribute served exactly once."""
    if isinstance(routing, str):
        text = Path(routing).read_text() if Path(routing).is_file() else routing
        try:
            routing = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(
                "The routing must be JSON such as "
                '{"mobilenet_v2": ["gender", "usage"], "resnet18": ["articleType", ...]} '
                "or the name of a file holding it."
            ) from None
    if not isinstance(routing, Mapping) or not routing:
        raise ValueError("The routing must map backbone names to lists of attributes.")
    served: list[str] = []
    clean: dict[str, list[str]] = {}
    for backbone, attributes in routing.items():
        if backbone not in BACKBONES:
            raise ValueError(
                f'"{backbone}" is not a backbone I know; choose from {", ".join(BACKBONES)}.'
            )
        if isinstance(attributes, str) or not all(isinstance(a, str) for a in attributes):
            raise ValueError(f"The routing of {backbone} must be a list of attribute names.")
        unknown = [a for a in attributes if a not in ATTRIBUTES]
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)} is not an attribute; the attributes are "
                f"{', '.join(ATTRIBUTES)}."
            )
        clean[backbone] = list(attributes)
        served += attributes
    missing = [a for a in ATTRIBUTES if a not in served]
    twice = sorted({a for a in served if served.count(a) > 1})
    if missing or twice:
        problem = (
            f"no backbone serves {', '.join(missing)}"
            if missing
            else f"{', '.join(twice)} is routed to more than one backbone"
        )
        raise ValueError(
            f"The routing must send every attribute to exactly one backbone: {problem}."
        )
    return {b: a for b, a in clean.items() if a}


# --- the network ----------------------------------------------------------------------------


def build_lite0(pretrained: bool) -> tuple[nn.Module, int]:
    """timm's `tf_efficientnet_lite0` without its classifier; with the packaged ImageNet weights
    (every tensor matched) when `pretrained`. Nothing is downloaded."""
    import timm

    model = timm.create_model(lite0.TIMM_ARCHITECTURE, pretrained=False, num_classes=0)
    if pretrained:
        try:
            model.load_state_dict(lite0.lite0_timm_state_dict(classifier=False), strict=True)
        except PretrainedUnavailable as err:
            raise ModelMissing(f"{err} Or train without --pretrained.") from None
    return model, lite0.FEATURE_DIM


def build_backbone(name: str, pretrained: bool = False) -> tuple[nn.Module, int]:
    """A backbone without its classifier, and the width of its feature vector."""
    if name == LITE0:
        return build_lite0(pretrained)
    weights = None
    if pretrained:
        weights = getattr(torchvision.models, _WEIGHTS[name]).DEFAULT
        try:  # fetch here, so a failure is one clear sentence rather than a urllib traceback
            weights.get_state_dict(progress=False, check_hash=True)
        except Exception as err:
            file = weights.url.rsplit("/", 1)[-1]
            raise ModelMissing(
                f"The ImageNet weights of {name} could not be downloaded "
                f"({type(err).__name__}); this machine may be offline. Train without "
                f"--pretrained, or put {file} into {Path(torch.hub.get_dir()) / 'checkpoints'}."
            ) from None
    model = getattr(torchvision.models, name)(weights=weights)
    if name.startswith("resnet"):
        dim = model.fc.in_features
        model.fc = nn.Identity()
    elif name == "mobilenet_v2":
        dim = model.last_channel
        model.classifier = nn.Identity()
    else:  # mobilenet_v3: the pooled features enter the classifier's first layer
        dim = model.classifier[0].in_features
        model.classifier = nn.Identity()
        # torchvision builds it with BatchNorm momentum 0.01, tuned for long ImageNet runs;
        # in a few epochs from scratch the running statistics then lag the weights so far that
        # evaluation collapses to the majority class (measured: validation F1 0.21 after 2
        # epochs on the real catalog). PyTorch's default 0.1 keeps them current.
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = 0.1
    return model, dim


class Normalise(nn.Module):
    """[0, 1] pixels -> what a backbone's weights expect. Buffers outside the state dict, so
    checkpoints hold weights only."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


COLOUR_ATTRIBUTE = "baseColour"
COLOUR_BRANCH_DIM = 128


class MultiTaskCNN(nn.Module):
    """Backbones per the routing, one linear head per attribute on its backbone's features.

    Input: (n, 3, h, w) pixels in [0, 1]; each backbone normalises them its own way. With
    `colour_dim`, the colour head also takes a small branch over per-photo colour features
    (the garment's Lab histogram), concatenated to its backbone's features."""

    def __init__(
        self,
        routing: Mapping[str, Sequence[str]],
        num_classes: Mapping[str, int],
        pretrained: bool = False,
        colour_dim: int = 0,
        bn_momentum: float | None = None,
    ):
        super().__init__()
        self.routing = {b: list(a) for b, a in routing.items()}
        self.colour_dim = colour_dim
        self.backbones = nn.ModuleDict()
        self.normalise = nn.ModuleDict()
        self.heads = nn.ModuleDict()
        self.colour_branch = (
            nn.Sequential(nn.Linear(colour_dim, COLOUR_BRANCH_DIM), nn.ReLU())
            if colour_dim
            else None
        )
        for backbone, attributes in self.routing.items():
            self.backbones[backbone], dim = build_backbone(backbone, pretrained)
            self.normalise[backbone] = Normalise(*NORMALISATION.get(backbone, (MEAN, STD)))
            for attribute in attributes:
                extra = COLOUR_BRANCH_DIM if colour_dim and attribute == COLOUR_ATTRIBUTE else 0
                self.heads[attribute] = nn.Sequential(
                    nn.Dropout(0.2), nn.Linear(dim + extra, num_classes[attribute])
                )
        if bn_momentum is not None:
            for module in self.backbones.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.momentum = bn_momentum

    def forward(
        self, x: torch.Tensor, colour: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        if self.colour_branch is not None and colour is None:
            raise ValueError("This CNN's colour head needs the photos' colour features.")
        logits: dict[str, torch.Tensor] = {}
        for backbone, attributes in self.routing.items():
            features = self.backbones[backbone](self.normalise[backbone](x))
            for attribute in attributes:
                if self.colour_branch is not None and attribute == COLOUR_ATTRIBUTE:
                    inputs = torch.cat([features, self.colour_branch(colour)], dim=1)
                else:
                    inputs = features
                logits[attribute] = self.heads[attribute](inputs)
        return logits


def batchnorm_layers(model: MultiTaskCNN) -> list[nn.Module]:
    return [m for m in model.backbones.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def parameter_groups(model: MultiTaskCNN, config: CNNConfig) -> list[dict[str, Any]]:
    """AdamW groups: the backbones at `lr`, the heads and the colour branch at `head_lr`; no
    weight decay on biases and normalisation weights (decaying a BatchNorm scale towards 0 only
    fights the statistics it normalises by)."""
    head_lr = config.head_lr if config.head_lr is not None else config.lr
    new_parts = list(model.heads.parameters())
    if model.colour_branch is not None:
        new_parts += list(model.colour_branch.parameters())
    groups = []
    for name, params, lr in (
        ("backbone", list(model.backbones.parameters()), config.lr),
        ("heads", new_parts, head_lr),
    ):
        decay = [p for p in params if p.ndim > 1]
        no_decay = [p for p in params if p.ndim <= 1]
        groups.append(
            {"name": name, "params": decay, "lr": lr, "weight_decay": config.weight_decay}
        )
        groups.append(
            {"name": f"{name} (no decay)", "params": no_decay, "lr": lr, "weight_decay": 0.0}
        )
    return [g for g in groups if g["params"]]


def with_recipe(options: Mapping[str, Any]) -> dict[str, Any]:
    """Options completed with the measured recipe of a pretrained Lite0 (all attributes on it)."""
    routing = options.get("routing")
    if isinstance(routing, (str, Mapping)) and options.get("pretrained"):
        if set(validate_routing(routing)) == {LITE0}:
            return {**PRETRAINED_LITE0_RECIPE, **options}
    return dict(options)


# --- pixels ---------------------------------------------------------------------------------


def image_to_tensor(
    image: Image.Image | str | Path, height: int, width: int, fit: str = "stretch"
) -> torch.Tensor:
    """One photo -> (3, height, width) uint8. Paths go through the one image loader. "pad"
    keeps the aspect and fills the border with white, the catalog's background."""
    if not isinstance(image, Image.Image):
        image = load_image(image)
    image = image.convert("RGB")
    if fit == "pad":
        image = ImageOps.pad(image, (width, height), Image.Resampling.BILINEAR, lite0.PAD_FILL)
    else:
        image = image.resize((width, height), Image.Resampling.BILINEAR)
    return torch.from_numpy(np.asarray(image, dtype=np.uint8).copy()).permute(2, 0, 1)


def decode_images(
    paths: Sequence[str | Path],
    height: int,
    width: int,
    progress: bool = True,
    fit: str = "stretch",
) -> torch.Tensor:
    """All photos once into one (n, 3, height, width) uint8 tensor: epochs then never touch
    JPEG decoding again (34,525 real thumbnails: ~7 s, 500 MB)."""
    out = torch.empty((len(paths), 3, height, width), dtype=torch.uint8)
    for i, path in enumerate(tqdm(paths, desc="decoding photos", unit="img", disable=not progress)):
        out[i] = image_to_tensor(path, height, width, fit)
    return out


def colour_features(pixels: torch.Tensor, progress: bool = False) -> torch.Tensor:
    """(n, COLOUR_FEATURE_DIM) garment Lab histograms of decoded (n, 3, h, w) uint8 photos
    (~1.6 ms a photo). Flips and small moves leave a histogram as it is, so it is computed once."""
    rows = [
        colour_histogram(Image.fromarray(photo.permute(1, 2, 0).numpy()))
        for photo in tqdm(pixels, desc="garment colours", unit="img", disable=not progress)
    ]
    return torch.from_numpy(np.stack(rows)) if rows else torch.zeros((0, COLOUR_FEATURE_DIM))


def to_model_input(batch: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 pixels -> [0, 1] floats; the model normalises per backbone."""
    return channels_last_input(batch.to(device, non_blocking=True).float().div_(255.0))


# --- losses ---------------------------------------------------------------------------------


def class_weights(targets: np.ndarray, num_classes: int) -> torch.Tensor:
    """Inverse-frequency weights, square-rooted: rare classes count more, but not so much that
    the weighted F1 (dominated by frequent classes) suffers; classes absent from training get
    the largest weight seen, which is harmless since no target carries it."""
    counts = np.bincount(targets, minlength=num_classes).astype(np.float64)
    present = counts > 0
    weights = np.ones(num_classes)
    weights[present] = np.sqrt(counts[present].mean() / counts[present])
    weights[~present] = weights[present].max() if present.any() else 1.0
    return torch.tensor(weights / weights[present].mean(), dtype=torch.float32)


def task_loss(
    logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None, config: CNNConfig
) -> torch.Tensor:
    if config.loss == "focal":
        # Focal loss: down-weights examples the model already gets right (gamma), with the
        # class weights as the alpha term.
        log_p = F.log_softmax(logits, dim=1)
        log_pt = log_p.gather(1, target[:, None]).squeeze(1)
        loss = -((1 - log_pt.exp()) ** config.focal_gamma) * log_pt
        if weight is not None:
            loss = loss * weight[target]
        return loss.mean()
    return smoothed_cross_entropy(logits, target, weight, config.label_smoothing)


def smoothed_cross_entropy(
    logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None, smoothing: float
) -> torch.Tensor:
    """Cross-entropy with label smoothing where the class weight scales each *example* (by its
    target's weight), not each class's share of the smoothed target.

    `F.cross_entropy(weight=..., label_smoothing=...)` weights the smoothing term class by
    class, so a rare class with a large weight pulls every example's probability towards
    itself: on the real catalog the masterCategory head ended up predicting its rarest class
    for almost everything (F1 0.003). Here the smoothing term is the plain mean over classes."""
    log_p = F.log_softmax(logits, dim=1)
    nll = -log_p.gather(1, target[:, None]).squeeze(1)
    loss = (1.0 - smoothing) * nll - smoothing * log_p.mean(dim=1) if smoothing else nll
    if weight is None:
        return loss.mean()
    example_weight = weight[target]
    return (loss * example_weight).sum() / example_weight.sum()


# --- training -------------------------------------------------------------------------------


def random_flip(x: torch.Tensor) -> torch.Tensor:
    """Mirror about half of a batch left to right (garments are close to symmetric)."""
    flip = torch.rand(x.shape[0]) < 0.5
    x = x.clone()
    x[flip.to(x.device)] = x[flip.to(x.device)].flip(-1)
    return x


def set_batchnorm_frozen(model: MultiTaskCNN, frozen: bool) -> None:
    """BatchNorm on its stored statistics (eval mode, nothing updated) or learning them."""
    for layer in batchnorm_layers(model):
        layer.train(not frozen and model.training)


@torch.no_grad()
def predict_probabilities(
    model: MultiTaskCNN,
    images: torch.Tensor,
    device: torch.device,
    batch_size: int = 256,
    progress: bool = False,
    desc: str = "predicting",
    colour: torch.Tensor | None = None,
) -> dict[str, np.ndarray]:
    model.eval()
    chunks: dict[str, list[np.ndarray]] = {a: [] for a in model.heads}
    starts = range(0, len(images), batch_size)
    for start in tqdm(starts, desc=desc, unit="batch", disable=not progress, leave=False):
        batch_colour = None
        if colour is not None:
            batch_colour = colour[start : start + batch_size].to(device)
        logits = model(to_model_input(images[start : start + batch_size], device), batch_colour)
        for attribute, value in logits.items():
            chunks[attribute].append(value.softmax(dim=1).float().cpu().numpy())
    return {a: np.concatenate(c) if c else np.zeros((0, 0)) for a, c in chunks.items()}


def train_cnn(
    catalog: Catalog,
    settings: StyleSettings | None = None,
    *,
    quick: bool = False,
    progress: bool = True,
    resume: bool = True,
    log_fn: Callable[[str], None] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Train the multi-task CNN, keep its best epoch, evaluate it on the test split and write
    models_dir/attribute-cnn.pt + the report (reports_dir/attributes-cnn*.json/png).

    `options` are CNNConfig fields (routing, height, width, epochs, batch_size, lr, head_lr,
    loss, class_weighted, augment, pretrained, fit, colour_features, ...); a pretrained Lite0
    gets PRETRAINED_LITE0_RECIPE for what is not given. `quick=True` (tests): 40x30 pixels,
    2 epochs.
    An interrupted run continues from its last finished epoch when called again with the same
    configuration (models_dir/attribute-cnn.resume.pt); `resume=False` starts afresh.
    """
    settings = settings or get_settings()
    say = log_fn or (lambda msg: log.info(msg))
    if quick:
        options = {"height": 40, "width": 30, "epochs": 2, "batch_size": 32, **options}
    config = CNNConfig.from_options(**with_recipe(options))
    device = select_device(settings.device)
    torch.manual_seed(config.seed)

    train_items, test_items = catalog.train, catalog.test
    if len(train_items) < 10 or len(test_items) < 1:
        raise ValueError(
            f"The catalog has {len(train_items)} training and {len(test_items)} test items; "
            "the CNN needs at least 10 and 1."
        )
    label_maps = catalog_label_maps(catalog)
    index = {a: {label: i for i, label in enumerate(label_maps[a])} for a in ATTRIBUTES}
    targets = {
        a: torch.tensor([index[a][v] for v in catalog.labels(a, "train").astype(str)])
        for a in ATTRIBUTES
    }

    state_meta = {
        "config": config.model_dump(),
        "labels": label_maps,
        "train_ids": [int(i) for i in train_items["id"]],
    }
    if resume:
        finished = _finished_cnn(settings, state_meta, len(catalog), say)
        if finished is not None:
            return finished_report(finished, catalog, settings, progress, say)

    started = time.perf_counter()
    pixels = decode_images(
        train_items["image"].tolist(), config.height, config.width, progress, config.fit
    )
    colour = colour_features(pixels, progress) if config.colour_features else None
    fit_idx, val_idx = validation_split(
        len(pixels), config.validation_fraction, config.seed, min_items=10
    )
    weights = {
        a: class_weights(targets[a][fit_idx].numpy(), len(label_maps[a])).to(device)
        if config.class_weighted
        else None
        for a in ATTRIBUTES
    }

    model = build_model(config, {a: len(v) for a, v in label_maps.items()}, config.pretrained)
    channels_last(model.to(device))
    steps_per_epoch = max(1, len(fit_idx) // config.batch_size)  # drop the ragged last batch
    groups = parameter_groups(model, config)
    optimizer = torch.optim.AdamW(groups)
    scheduler = one_cycle(
        optimizer, [g["lr"] for g in groups], config.epochs * steps_per_epoch, pct_start=0.25
    )
    history: dict[str, list[float]] = {"total": [], **{a: [] for a in ATTRIBUTES}}
    val_history: list[float] = []
    best_score, best_state, first_epoch = -1.0, None, 0

    resume_path = InstallLayout.of(settings).cnn_resume_path

    if resume and resume_path.is_file():
        try:
            state = read_checkpoint(resume_path, RESUME_KIND, HOW_TO_MAKE_CNN)
        except ModelMissing as err:
            say(f"Starting afresh: {err}")
            state = None
        if state and all(state.get(k) == v for k, v in state_meta.items()):
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            history, val_history = state["history"], state["val_history"]
            best_score, best_state = state["best_score"], state["best_model"]
            first_epoch = int(state["epoch"])
            torch.set_rng_state(state["rng"])
            say(f"Resuming the CNN training after epoch {first_epoch} of {config.epochs}.")
        elif state:
            say(
                "A CNN training state exists for another configuration or catalog; starting afresh."
            )

    for epoch in range(first_epoch, config.epochs):
        model.train()
        order = fit_idx[torch.randperm(len(fit_idx)).numpy()]
        sums = {a: 0.0 for a in ATTRIBUTES}
        bar = tqdm(
            range(steps_per_epoch),
            desc=f"CNN epoch {epoch + 1}/{config.epochs}",
            unit="batch",
            disable=not progress,
        )
        for step in bar:
            set_batchnorm_frozen(model, epoch * steps_per_epoch + step < config.bn_freeze_steps)
            batch = torch.from_numpy(
                order[step * config.batch_size : (step + 1) * config.batch_size]
            )
            x = to_model_input(pixels[batch], device)
            if config.augment:
                x = channels_last_input(augment(x) if config.affine else random_flip(x))
            logits = model(x, None if colour is None else colour[batch].to(device))
            losses = {
                a: task_loss(logits[a], targets[a][batch].to(device), weights[a], config)
                for a in ATTRIBUTES
            }
            total = sum(losses.values())
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            scheduler.step()
            for a in ATTRIBUTES:
                sums[a] += float(losses[a].detach())
            bar.set_postfix(loss=f"{float(total.detach()):.3f}")
        for a in ATTRIBUTES:
            history[a].append(sums[a] / steps_per_epoch)
        history["total"].append(sum(sums.values()) / steps_per_epoch)

        probs = predict_probabilities(
            model, pixels[val_idx], device, colour=None if colour is None else colour[val_idx]
        )
        score = weighted_f1_table(
            {a: targets[a][val_idx].numpy() for a in ATTRIBUTES},
            {a: probs[a].argmax(1) for a in ATTRIBUTES},
        )["average"]
        val_history.append(score)
        if score > best_score:
            best_score = score
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        save_checkpoint(
            {
                "kind": RESUME_KIND,
                **state_meta,
                "epoch": epoch + 1,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "history": history,
                "val_history": val_history,
                "best_score": best_score,
                "best_model": best_state,
                "rng": torch.get_rng_state(),
            },
            resume_path,
        )
        # Reported after the state is safe on disk: an interrupt from here on loses nothing.
        say(
            f"epoch {epoch + 1}: loss {history['total'][-1]:.3f}, validation average weighted F1 "
            f"{score:.3f}"
        )
    train_seconds = time.perf_counter() - started

    model.load_state_dict(best_state)
    checkpoint = InstallLayout.of(settings).cnn_path
    save_checkpoint(
        {
            "kind": CNN_KIND,
            "config": config.model_dump(),
            "labels": label_maps,
            "input_size": [config.height, config.width],
            "state_dict": model.state_dict(),
            "validation_f1": best_score,
            "catalog_items": len(catalog),
            # What a later call with resume=True compares to reuse this run instead of
            # training again (see _finished_cnn).
            "train_ids": state_meta["train_ids"],
            "training": {
                "train_items": len(fit_idx),
                "validation_items": len(val_idx),
                "validation_average_f1_per_epoch": val_history,
                "best_validation_f1": best_score,
                "train_seconds": train_seconds,
                "history": history,
            },
        },
        checkpoint,
    )
    resume_path.unlink(missing_ok=True)

    tagger = CNNTagger(model, label_maps, config, device)
    report = evaluate_cnn(
        tagger,
        catalog,
        settings,
        progress=progress,
        history=history,
        extra={
            "config": config.model_dump(),
            "checkpoint": str(checkpoint),
            "train_items": len(fit_idx),
            "validation_items": len(val_idx),
            "validation_average_f1_per_epoch": val_history,
            "best_validation_f1": best_score,
            "train_seconds": train_seconds,
            "device": str(device),
        },
    )
    say(format_f1_table(report))
    return report


def _finished_cnn(
    settings: StyleSettings,
    state_meta: Mapping[str, Any],
    catalog_items: int,
    say: Callable[[str], None],
) -> dict[str, Any] | None:
    """The finished checkpoint in models_dir when it is this very run (same configuration,
    labels and training items), else None: a finished run leaves no resume state, so without
    this check `resume=True` would train it all again.

    A checkpoint written before the training ids were kept in it is matched on the number of
    catalog items instead (the split is seeded, so the same catalog gives the same items)."""
    path = InstallLayout.of(settings).cnn_path
    if not path.is_file():
        return None
    try:
        payload = read_checkpoint(path, CNN_KIND, HOW_TO_MAKE_CNN)
        # Read back through today's CNNConfig, so a field added since (with its default) does
        # not make an identical run look different.
        config = read_config(payload, CNNConfig, CNN_KIND, path, HOW_TO_MAKE_CNN).model_dump()
    except ModelMissing:
        return None
    same_run = config == state_meta["config"] and payload.get("labels") == state_meta["labels"]
    if "train_ids" in payload:
        same_run = same_run and payload["train_ids"] == state_meta["train_ids"]
    else:
        same_run = same_run and payload.get("catalog_items") == catalog_items
    if not same_run:
        return None
    say(f"The CNN in {path.name} is a finished run of this configuration; evaluating it only.")
    return {**payload, "path": path}


def finished_report(
    payload: Mapping[str, Any],
    catalog: Catalog,
    settings: StyleSettings,
    progress: bool,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Evaluate a finished checkpoint on the test split (the report train_cnn would write),
    with the training figures it kept, or those of the report its own run wrote."""
    path = Path(payload["path"])
    tagger = load_cnn_tagger(path, settings, catalog)
    training = dict(payload.get("training") or {})
    if not training:  # an older checkpoint: its run's report holds the training figures
        earlier = read_json_report(settings.reports_dir / f"{REPORT_NAME}.json")
        if earlier.get("checkpoint") == str(path):
            training = {
                k: earlier[k]
                for k in (
                    "train_items",
                    "validation_items",
                    "validation_average_f1_per_epoch",
                    "best_validation_f1",
                    "train_seconds",
                    "history",
                )
                if k in earlier
            }
    history = training.pop("history", None)
    report = evaluate_cnn(
        tagger,
        catalog,
        settings,
        progress=progress,
        history=history,
        extra={
            "config": payload["config"],
            "checkpoint": str(path),
            "reused_checkpoint": True,
            **training,
        },
    )
    say(format_f1_table(report))
    return report


def read_json_report(path: Path) -> dict[str, Any]:
    """A report JSON, or {} when it is missing or unreadable (it only adds figures)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def evaluate_cnn(
    tagger: CNNTagger,
    catalog: Catalog,
    settings: StyleSettings,
    *,
    progress: bool = True,
    history: Mapping[str, Sequence[float]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Weighted F1 of the CNN on the test split; writes the attributes-cnn report."""
    truth = {a: catalog.labels(a, "test").astype(str).tolist() for a in ATTRIBUTES}
    pixels = decode_images(
        catalog.test["image"].tolist(), tagger.height, tagger.width, progress, tagger.fit
    )
    probs = predict_probabilities(
        tagger.model,
        pixels,
        tagger.device,
        progress=progress,
        desc="evaluating on the test split",
        colour=colour_features(pixels, progress) if tagger.colour_features else None,
    )
    return write_attribute_report(
        REPORT_NAME,
        truth,
        top_labels(probs, tagger.label_maps),
        tagger.label_maps,
        settings.reports_dir,
        history=history,
        extra={"model_kind": "cnn", **(extra or {})},
    )


# --- inference ------------------------------------------------------------------------------


def build_model(
    config: CNNConfig, num_classes: Mapping[str, int], pretrained: bool = False
) -> MultiTaskCNN:
    """The network a configuration describes (ImageNet weights only when `pretrained`: a
    checkpoint being loaded brings its own)."""
    return MultiTaskCNN(
        config.routing,
        num_classes,
        pretrained=pretrained,
        colour_dim=COLOUR_FEATURE_DIM if config.colour_features else 0,
        bn_momentum=config.bn_momentum,
    )


class CNNTagger:
    """The trained CNN behind the AttributeTagger interface."""

    def __init__(
        self,
        model: MultiTaskCNN,
        label_maps: Mapping[str, Sequence[str]],
        config: CNNConfig,
        device: torch.device | None = None,
    ):
        self.device = device or torch.device("cpu")
        self.model = channels_last(model.to(self.device)).eval()
        self.label_maps = {a: list(v) for a, v in label_maps.items()}
        self.height, self.width = config.height, config.width
        self.fit = config.fit
        self.colour_features = config.colour_features

    @property
    def pixel_size(self) -> tuple[int, int]:
        """The (width, height) a photo's pixels must cover for this network's input (its longer
        side both ways, so an EXIF rotation still covers it): a JPEG may decode that small."""
        side = max(self.height, self.width)
        return (side, side)

    def predict(
        self, images: Sequence[Image.Image | str | Path], top_k: int = 3
    ) -> list[Prediction]:
        if isinstance(images, (Image.Image, str, Path)):
            images = [images]
        if not images:
            return []
        pixels = torch.stack(
            [image_to_tensor(im, self.height, self.width, self.fit) for im in images]
        )
        colour = colour_features(pixels) if self.colour_features else None
        probs = predict_probabilities(self.model, pixels, self.device, colour=colour)
        return ranked_predictions(probs, self.label_maps, top_k)


def load_cnn_tagger(
    path: Path | None = None, settings: StyleSettings | None = None, catalog: Catalog | None = None
) -> CNNTagger:
    """Load a CNN checkpoint; ModelMissing with a sentence when it is absent, damaged, or was
    trained on another catalog (when `catalog` is given)."""
    settings = settings or get_settings()
    path = Path(path or InstallLayout.of(settings).cnn_path)
    payload = read_checkpoint(path, CNN_KIND, HOW_TO_MAKE_CNN)
    check_catalog(payload["labels"], catalog, CNN_KIND, path, HOW_TO_MAKE_CNN)
    config = read_config(payload, CNNConfig, CNN_KIND, path, HOW_TO_MAKE_CNN)
    model = build_model(config, {a: len(v) for a, v in payload["labels"].items()})
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError:
        raise ModelMissing(
            f"The {CNN_KIND} at {path} does not match its own configuration. "
            f"Run {HOW_TO_MAKE_CNN} to make it again."
        ) from None
    return CNNTagger(model, payload["labels"], config, select_device(settings.device))


__all__ = [
    "CNNConfig",
    "CNNTagger",
    "DEFAULT_ROUTING",
    "MultiTaskCNN",
    "PRETRAINED_LITE0_RECIPE",
    "parameter_groups",
    "decode_images",
    "load_cnn_tagger",
    "train_cnn",
    "validate_routing",
]
