"""One backbone pass for the embedding and the ImageNet answer, when the encoder's image tower
is the ImageNet network itself.

The packaged encoder (`packaged:lite0-minilm`) runs the packaged EfficientNet-Lite0 trunk and
projects its pooled features; trained with the trunk frozen (the default), that trunk holds
exactly the ImageNet weights the real-photo tagger's network (`pretrained.ImageNetLite0`) holds,
and both normalise pixels alike (Lite0's mean / std, padded square on white). Then the ImageNet
classifier can read the trunk's pooled features of the encoder's own pass, and a photo costs one
backbone pass instead of two.

Only when the encoder's input is as large as the network's own (224 px: an encoder trained with
`stylist train encoder --image-size 224`): at the default 128 px the ImageNet answer is much worse
on real photos (600 photos of the real catalog, top-1 of the ImageNet tagger at 224 / 128 px:
masterCategory 0.943 / 0.818, subCategory 0.675 / 0.490, articleType 0.377 / 0.250), which a
saved backbone pass does not pay for. A trunk that was fine-tuned (`--unfreeze-blocks`) is
another network: no sharing either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn

from stylist.models.encoder import Encoder
from stylist.models.pretrained import MEAN, PAD_FILL, STD, ImageNetLite0
from stylist.process_cache import ReloadingCache


@dataclass(frozen=True)
class SharedBackbone:
    """The encoder and the ImageNet classifier that reads its image tower's pooled features."""

    encoder: Encoder
    classifier: nn.Module

    @torch.inference_mode()
    def encode(self, images: Sequence[Image.Image]) -> tuple[np.ndarray, np.ndarray]:
        """(L2-normalised embeddings (n, dim), ImageNet probabilities (n, 1000)) of one pass."""
        visual = self.encoder.model.visual
        pooled = visual.trunk(self.encoder.normalize_pixels(self.encoder.pixels(list(images))))
        embeddings = nn.functional.normalize(visual.head(pooled).float(), dim=-1)
        probabilities = self.classifier(pooled).softmax(dim=-1)
        return embeddings.cpu().numpy(), probabilities.float().cpu().numpy()


def _same_trunk(trunk: nn.Module, network: nn.Module) -> bool:
    ours = trunk.state_dict()
    theirs = {k: v for k, v in network.state_dict().items() if not k.startswith("classifier.")}
    if ours.keys() != theirs.keys():
        return False
    return all(
        ours[k].shape == theirs[k].shape and torch.equal(ours[k].cpu(), theirs[k].cpu())
        for k in ours
    )


def _same_normalisation(encoder: Encoder) -> bool:
    """Pixels padded square on white and normalised as `Lite0Preprocess` does."""
    cfg = encoder.preprocess_cfg
    fill = cfg.get("fill_color")
    return (
        tuple(cfg.get("mean", ())) == MEAN
        and tuple(cfg.get("std", ())) == STD
        and cfg.get("resize_mode") == "longest"
        and fill is not None
        and (tuple(fill) if isinstance(fill, (list, tuple)) else (fill,) * 3) == PAD_FILL
    )


def find_shared_backbone(encoder: Encoder, network: ImageNetLite0) -> SharedBackbone | None:
    """The shared pass when `encoder`'s image tower is `network`'s backbone (same weights, same
    pixel normalisation), else None. Decided once per (encoder, network)."""
    return _DECISIONS.get(
        (encoder.fingerprint, id(encoder), id(network)), lambda: _decide(encoder, network)
    )


def _decide(encoder: Encoder, network: ImageNetLite0) -> SharedBackbone | None:
    visual = getattr(encoder.model, "visual", None)
    trunk, head = getattr(visual, "trunk", None), getattr(visual, "head", None)
    classifier = getattr(network.network, "classifier", None)
    if trunk is None or head is None or classifier is None:
        return None
    if min(encoder.image_size) < network.preprocess.size:
        return None  # a smaller input than the network's own costs the ImageNet answer
    if not _same_normalisation(encoder) or not _same_trunk(trunk, network.network):
        return None
    return SharedBackbone(encoder, classifier.to(encoder.device))


_DECISIONS: ReloadingCache[SharedBackbone | None] = ReloadingCache(maxsize=2)
