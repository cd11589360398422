"""New encoders and saved ones: a randomly initialised encoder of a registered architecture
(training starts here; tests use `stylist-tiny`), and an encoder written in open_clip's
local-dir layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import open_clip
import torch

from stylist.atomic import atomic_write, atomic_write_text
from stylist.layout import ENCODER_CONFIG_FILE, ENCODER_WEIGHTS_FILE
from stylist.models.encoder.registry import quiet_open_clip, register_model_configs
from stylist.models.encoder.runtime import Encoder
from stylist.models.errors import EncoderUnavailable

CHECKPOINT_FORMAT = "stylist-encoder/1"

# Our catalog pictures are portraits (shoes and hems at the bottom): squash the whole picture to
# the model's input size instead of open_clip's default centre crop, which would cut them off.
STYLIST_PREPROCESS: dict[str, Any] = {"resize_mode": "squash", "interpolation": "bilinear"}


def build_encoder(
    model_name: str = "stylist-demo",
    *,
    seed: int = 0,
    spec: str | None = None,
    device: torch.device | str = "cpu",
    batch_size: int = 64,
) -> Encoder:
    """A randomly initialised encoder of a registered architecture, built by open_clip's
    factory with no weights to download."""
    register_model_configs()
    torch.manual_seed(seed)
    model_cfg = open_clip.get_model_config(model_name)
    if model_cfg is None:
        raise EncoderUnavailable(f"'{model_name}' is not an open_clip architecture I know.")
    preprocess = STYLIST_PREPROCESS if model_name.startswith("stylist-") else None
    with quiet_open_clip():
        model = open_clip.create_model(model_name, pretrained=None, force_preprocess_cfg=preprocess)
    return Encoder(
        model,
        open_clip.get_tokenizer(model_name),
        spec=spec or f"{model_name} (untrained)",
        fingerprint=f"{model_name}:random-seed-{seed}",
        model_name=model_name,
        model_cfg=model_cfg,
        device=device,
        batch_size=batch_size,
    )


def save_encoder(
    encoder: Encoder, directory: Path, *, metadata: dict[str, Any] | None = None
) -> Path:
    """Write an encoder as a directory in open_clip's local-dir layout.

    Each file is written atomically. The weights file also carries the config, so the bare file
    works as a spec too; it is written last, because it is what says "the encoder is built"
    (`InstallLayout.encoder_present`) and what its fingerprint hashes: a reader sees either the
    previous weights or the whole new ones, never half a file.
    """
    directory = Path(directory)
    model_cfg = encoder.model_cfg or open_clip.get_model_config(encoder.model_name)
    if model_cfg is None:
        raise EncoderUnavailable(f"Cannot save {encoder.spec}: its model config is unknown.")
    preprocess = {
        k: (list(v) if isinstance(v, tuple) else v) for k, v in encoder.preprocess_cfg.items()
    }
    config = {
        "model_name": encoder.model_name,
        "model_cfg": model_cfg,
        "preprocess_cfg": preprocess,
        "metadata": metadata or {},
    }
    state = {k: v.detach().cpu().contiguous() for k, v in encoder.model.state_dict().items()}
    payload = {"format": CHECKPOINT_FORMAT, **config, "state_dict": state}
    atomic_write_text(directory / ENCODER_CONFIG_FILE, json.dumps(config, indent=2))
    atomic_write(directory / ENCODER_WEIGHTS_FILE, lambda tmp: torch.save(payload, tmp))
    return directory
