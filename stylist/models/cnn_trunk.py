"""The install's fine-tuned attribute CNN as the packaged encoder's image trunk.

`stylist train cnn --backbone efficientnet_lite0 --pretrained` fine-tunes the whole packaged
ImageNet Lite0 on this catalog's 7 attributes. Its backbone is the very network the packaged
encoder's image tower runs (timm's `tf_efficientnet_lite0`, headless, the same padding and
normalisation), so its weights drop into that tower tensor for tensor. Projections trained on
top of it (`stylist train encoder --image-trunk cnn`) start from features that already tell
article types, colours and genders of this catalog apart: on the real catalog, held-out names ->
held-out photos R@10 went from 0.458 to 0.541 and the heads on the embedding from 0.821 to
0.859 weighted F1; on the CNN trained without class weights, 0.557 and 0.864 (docs/evaluation.md).

The CNN learned from the training split's labels only, so held-out photos stay unseen. It did
see every article type's label, though: a few-shot figure on such a trunk is not a few-shot
figure (the report says so).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch

from stylist.layout import InstallLayout
from stylist.models.checkpoints import read_checkpoint
from stylist.models.errors import ModelMissing
from stylist.settings import StyleSettings

IMAGENET_TRUNK = "imagenet"
CNN_TRUNK = "cnn"
LITE0_BACKBONE = "efficientnet_lite0"  # cnn.LITE0 (not imported: the CNN module is heavy)
HOW_TO_MAKE = (
    "`stylist train cnn --backbone efficientnet_lite0 --pretrained` (all 7 attributes on the "
    "Lite0 backbone)"
)
_CNN_KIND = "attribute CNN"  # cnn.CNN_KIND


@dataclass(frozen=True)
class TrunkWeights:
    """Weights for the packaged encoder's image trunk and where they came from."""

    source: str  # CNN_TRUNK (the ImageNet trunk needs no TrunkWeights)
    state: dict[str, torch.Tensor]
    sha256: str  # of the checkpoint file: which CNN, for caches and for reuse of a finished run

    @property
    def tag(self) -> str:
        return f"{self.source}-{self.sha256[:12]}"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cnn_trunk(settings: StyleSettings) -> TrunkWeights:
    """The Lite0 backbone of the install's attribute CNN (raises ModelMissing with the command
    that makes a fitting one)."""
    path = InstallLayout.of(settings).cnn_path
    payload = read_checkpoint(path, _CNN_KIND, HOW_TO_MAKE)
    prefix = f"backbones.{LITE0_BACKBONE}."
    state = payload.get("state_dict") or {}
    trunk = {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
    other = {k.split(".")[1] for k in state if k.startswith("backbones.")} - {LITE0_BACKBONE}
    if not trunk or other:
        raise ModelMissing(
            f"The attribute CNN at {path} does not run every attribute on one EfficientNet-Lite0 "
            f"backbone, so it cannot serve as the encoder's image tower. Run {HOW_TO_MAKE}."
        )
    return TrunkWeights(CNN_TRUNK, trunk, _file_sha256(path))
