"""Which torch device the models run on: the one resolver every model shares."""

from __future__ import annotations

import torch

from stylist.models.errors import DeviceUnavailable


def select_device(preference: str = "auto") -> torch.device:
    """cuda, then Apple's mps, then the CPU; a named device (settings.device) must exist here."""
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailable("STYLIST_DEVICE is cuda, but no CUDA GPU is available here.")
    if preference == "mps" and not torch.backends.mps.is_available():
        raise DeviceUnavailable("STYLIST_DEVICE is mps, but Apple's MPS is not available here.")
    return torch.device(preference)


def channels_last(module: torch.nn.Module) -> torch.nn.Module:
    """`module` with its convolution weights in channels-last layout, in place.

    CPU convolutions (oneDNN) run much faster on it. `bench/bench_conv_layout.py` on this
    project's 2-core machine, timm's tf_efficientnet_lite0 at 128 px, p50 NCHW -> channels-last:
    a training step of 96 photos 3.86 -> 2.46 s (1.57x), a batch of 128 1.53 -> 0.85 s (1.80x),
    one photo 1.07x. Only 4-D tensors change, so text towers and linear heads are untouched,
    and a state dict loads into either layout."""
    return module.to(memory_format=torch.channels_last)


def channels_last_input(x: torch.Tensor) -> torch.Tensor:
    """A batch of images (n, c, h, w) in the layout `channels_last` models run fastest on."""
    return x.contiguous(memory_format=torch.channels_last) if x.ndim == 4 else x
