"""Checkpoint files of the classifiers (attribute heads, attribute CNN, few-shot head).

A checkpoint is a plain dict of tensors, strings, numbers, lists and dicts written with
`torch.save`; it is read back with `torch.load(weights_only=True)`, which refuses to unpickle
arbitrary objects, so a checkpoint file from elsewhere cannot run code. Every failure to read
one becomes `ModelMissing` with a sentence that says what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import torch
from pydantic import ValidationError

from stylist.atomic import atomic_write
from stylist.models.configs import TrainingConfig
from stylist.models.errors import ModelMissing

FORMAT_VERSION = 1

ConfigT = TypeVar("ConfigT", bound=TrainingConfig)


def save_checkpoint(payload: dict[str, Any], path: Path) -> Path:
    """Write atomically: a reader (e.g. the chat loading the tagger) never sees half a file."""
    return atomic_write(
        Path(path), lambda tmp: torch.save({"format": FORMAT_VERSION, **payload}, tmp)
    )


def read_checkpoint(path: Path, kind: str, how_to_make: str) -> dict[str, Any]:
    """Load a checkpoint of the given kind, or raise ModelMissing saying how to make one.

    `how_to_make` completes the sentence "Run ... to make it", e.g. "`stylist train attributes`".
    """
    path = Path(path)
    if not path.is_file():
        raise ModelMissing(f"There is no trained {kind} at {path}. Run {how_to_make} to make it.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for damaged or foreign files
        raise ModelMissing(
            f"The {kind} file {path} is damaged or is not a Stylist checkpoint "
            f"({type(err).__name__}). Run {how_to_make} to make it again."
        ) from None
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        found = payload.get("kind") if isinstance(payload, dict) else type(payload).__name__
        raise ModelMissing(
            f"The file {path} holds a {found or 'unknown'} checkpoint, not a {kind}. "
            f"Run {how_to_make} to make it again."
        )
    if payload.get("format") != FORMAT_VERSION:
        raise ModelMissing(
            f"The {kind} at {path} was written by another version of Stylist. "
            f"Run {how_to_make} to make it again."
        )
    return payload


def read_config(
    payload: dict[str, Any], config_class: type[ConfigT], kind: str, path: Path, how_to_make: str
) -> ConfigT:
    """The training configuration a checkpoint recorded (its `model_dump()`)."""
    try:
        return config_class.model_validate(payload["config"])
    except (KeyError, ValidationError):
        raise ModelMissing(
            f"The {kind} at {path} does not match its own configuration. "
            f"Run {how_to_make} to make it again."
        ) from None


def check_encoder(
    payload: dict[str, Any], fingerprint: str, kind: str, path: Path, how_to_make: str
) -> None:
    """Heads on embeddings are meaningless on another encoder's embeddings: refuse them."""
    trained_on = payload.get("encoder_fingerprint")
    if trained_on != fingerprint:
        raise ModelMissing(
            f"The {kind} at {path} was trained on another encoder ({trained_on}) than the one "
            f"configured now ({fingerprint}). Run {how_to_make} to train it for this encoder."
        )
