"""Image towers of the demo encoder, registered with timm so that open_clip's own factory builds
them from a model config ("timm_model_name": "stylist_resnet_xs") like any other timm tower.

Why not timm's `test_resnet`: its last stage is 96 channels wide with a bottleneck block in the
third stage, and on the 3,000-item demo catalog the season fabric (fine periodic textures) did
not survive it (season weighted F1 0.84). The same depth with plain basic blocks and channels
doubling to 192 costs the same time per training step on the 2-core machine (0.46 s vs 0.48 s
for a batch of 128 at 80x64) and lifts season to 0.85 at a 128-d embedding, 0.89 at 256-d and
0.90 at 512-d (the demo config, stylist-demo.json); 20 flip-only epochs then give 0.915.
"""

from __future__ import annotations

from typing import Any

from timm.models import build_model_with_cfg, generate_default_cfgs, register_model
from timm.models.resnet import BasicBlock, ResNet


def _untrained_cfg() -> dict[str, Any]:
    # No pretrained weights exist for these towers; the cfg only tells timm (and open_clip,
    # which reads pool_size) the input they were designed for.
    return {
        "num_classes": 0,
        "input_size": (3, 80, 64),
        "pool_size": None,
        "interpolation": "bilinear",
        "mean": (0.5, 0.5, 0.5),
        "std": (0.5, 0.5, 0.5),
        "first_conv": "conv1.0",
        "classifier": "fc",
    }


# timm's registry looks the default configs up in the defining module under this name.
default_cfgs = generate_default_cfgs({"stylist_resnet_xs": _untrained_cfg()})


@register_model
def stylist_resnet_xs(pretrained: bool = False, **kwargs: Any) -> ResNet:
    """A four-stage ResNet with one basic block per stage (32-48-96-192 channels), a deep stem
    and average-pool downsampling: 0.7 M parameters."""
    args = {
        "block": BasicBlock,
        "layers": (1, 1, 1, 1),
        "channels": (32, 48, 96, 192),
        "stem_width": 16,
        "stem_type": "deep",
        "avg_down": True,
    }
    return build_model_with_cfg(ResNet, "stylist_resnet_xs", pretrained, **{**args, **kwargs})
