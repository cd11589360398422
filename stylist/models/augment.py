"""Colour-safe image augmentation shared by the trainers that see pixels (the CNN, the encoder).

Colour is one of the labels, so nothing here touches hue, saturation or brightness.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def augment(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Colour-safe augmentation of a float batch in [0, 1]: horizontal flip and a small random
    affine (rotation ±8°, scale 0.9–1.1, shift ±6%) per image. Borders repeat the edge pixels,
    which on catalog photos is the plain background. No colour change: colour is a label."""
    n = x.shape[0]
    dev = x.device

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(n, generator=generator).to(dev) * (hi - lo) + lo

    angle = uniform(-8, 8) * math.pi / 180
    scale = uniform(0.9, 1.1)
    flip = (torch.rand(n, generator=generator) < 0.5).to(dev).float() * -2 + 1  # -1 flips
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos * flip, -sin, uniform(-0.12, 0.12)], dim=1),
            torch.stack([sin * flip, cos, uniform(-0.12, 0.12)], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
