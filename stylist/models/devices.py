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
