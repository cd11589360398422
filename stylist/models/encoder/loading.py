"""Loading the encoder a spec names, through open_clip's own factory (`open_clip.create_model`),
so the weights are read with `weights_only=True` and converted the way open_clip does it.

Nothing here downloads on its own initiative: pretrained tags and hub ids are fetched by
open_clip / huggingface_hub, and when that is impossible (offline, no cache) the failure
becomes one `EncoderUnavailable` sentence. Every other failure is decided by explicit checks
(does the file exist, is it a config, can its tensors be read at all) rather than by reading
the text of the factory's exceptions.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import open_clip
import torch
from open_clip.factory import load_state_dict

from stylist.layout import ENCODER_CONFIG_FILE, ENCODER_WEIGHTS_FILE
from stylist.models.devices import select_device
from stylist.models.encoder.fingerprint import fingerprint
from stylist.models.encoder.packaged import load_packaged_model
from stylist.models.encoder.registry import (
    quiet_open_clip,
    register_config,
    register_model_configs,
)
from stylist.models.encoder.runtime import Encoder
from stylist.models.encoder.spec import EncoderSpec, looks_like_path, parse_spec
from stylist.models.errors import EncoderUnavailable
from stylist.process_cache import ReloadingCache
from stylist.settings import StyleSettings, get_settings

WEIGHTS_HELP = (
    "Download them once on a machine with network access (they are kept in the Hugging Face "
    "cache, ~/.cache/huggingface, or HF_HOME) and copy that cache here, or point STYLIST_ENCODER "
    "at a local weights file (ARCH:/path/to/weights.bin or /path/to/checkpoint.pt)"
)
TRAIN_HELP = "Run `stylist train encoder` (or `make demo`) to train it"

log = logging.getLogger(__name__)


def _read_json(path: Path, spec: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise EncoderUnavailable(
            f"The encoder config {path} (from spec '{spec}') does not exist."
        ) from None
    except (OSError, ValueError):
        raise EncoderUnavailable(
            f"The encoder config {path} (from spec '{spec}') is not readable JSON."
        ) from None
    if not isinstance(data, dict):
        raise EncoderUnavailable(f"The encoder config {path} is not an open_clip model config.")
    return data


def _split_config(data: dict[str, Any], path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model_cfg, preprocess_cfg) from a plain open_clip config or a local-dir style one."""
    model_cfg = data.get("model_cfg", data)
    preprocess = data.get("preprocess_cfg", {})
    if not all(k in model_cfg for k in ("embed_dim", "vision_cfg", "text_cfg")):
        raise EncoderUnavailable(
            f"{path} is not an open_clip model config (it needs embed_dim, vision_cfg and "
            "text_cfg)."
        )
    return model_cfg, preprocess


def _read_stylist_checkpoint(path: Path, spec: str) -> dict[str, Any]:
    if not path.is_file():
        raise EncoderUnavailable(
            f"The encoder checkpoint {path} (spec '{spec}') does not exist; check STYLIST_ENCODER."
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        raise EncoderUnavailable(
            f"The encoder checkpoint {path} (spec '{spec}') could not be read: it is damaged or "
            f"not a PyTorch checkpoint. {TRAIN_HELP} again, or point STYLIST_ENCODER at another file."
        ) from None
    if not isinstance(payload, dict) or "model_cfg" not in payload or "state_dict" not in payload:
        raise EncoderUnavailable(
            f"The checkpoint {path} holds weights but no model config, so I cannot tell its "
            f"architecture. Name it as ARCH:{path} (e.g. ViT-B-32:{path}) or "
            f"CONFIG.json:{path}."
        )
    return payload


def _create(
    model_name: str,
    parsed: EncoderSpec,
    *,
    pretrained: str | None = None,
    preprocess: dict[str, Any] | None = None,
    device: torch.device,
) -> torch.nn.Module:
    """open_clip's factory, with its failures turned into one sentence naming the spec."""
    try:
        with quiet_open_clip():
            return open_clip.create_model(
                model_name,
                pretrained=pretrained,
                device=device,
                force_preprocess_cfg=preprocess or None,
                require_pretrained=True,
            )
    except EncoderUnavailable:
        raise
    except Exception as err:
        raise _explain_failure(parsed, err) from None


def _tensors_readable(path: Path) -> bool:
    """Whether a weights file can be read as tensors at all, by the reader open_clip uses."""
    try:
        if path.suffix in (".npz", ".npy"):  # big_vision (SigLIP) weights
            np.load(path, allow_pickle=False)
        else:
            load_state_dict(str(path))
    except Exception:  # torch, safetensors and numpy each raise their own types here
        return False
    return True


def _explain_failure(parsed: EncoderSpec, err: Exception) -> EncoderUnavailable:
    log.debug("encoder %s failed to load", parsed.text, exc_info=err)
    weights = parsed.weights_file
    if weights is None:  # a pretrained tag or a hub id: the weights had to be fetched
        return EncoderUnavailable(
            f"The weights of encoder '{parsed.text}' are not on this machine and could not be "
            f"downloaded (no network?). {WEIGHTS_HELP}."
        )
    if _tensors_readable(weights):
        # Read fine, but the tensors are not this architecture's: missing / unexpected keys,
        # size mismatches, position embeddings of another grid.
        return EncoderUnavailable(
            f"The weights in {weights} do not fit the architecture of encoder '{parsed.text}' "
            "(different layer names or sizes); pair them with the config they were trained with."
        )
    return EncoderUnavailable(
        f"The encoder checkpoint {weights} (spec '{parsed.text}') could not be read: it is "
        f"damaged or not an open_clip checkpoint. {TRAIN_HELP} again, or point STYLIST_ENCODER at "
        "another file."
    )


def load_encoder(spec: str | None = None, settings: StyleSettings | None = None) -> Encoder:
    """Load the encoder a spec names (settings.encoder by default), or raise EncoderUnavailable."""
    settings = settings or get_settings()
    parsed = parse_spec(spec if spec is not None else settings.encoder, settings)
    device = select_device(settings.device)
    register_model_configs()
    model_name, model, model_cfg = _load_model(parsed, device, settings)
    if parsed.kind == "hf-hub":
        try:
            tokenizer = open_clip.get_tokenizer(model_name)
        except Exception as err:
            raise _explain_failure(parsed, err) from None
    else:
        tokenizer = open_clip.get_tokenizer(model_name)
    return Encoder(
        model,
        tokenizer,
        spec=parsed.text,
        fingerprint=fingerprint(parsed),
        model_name=model_name,
        model_cfg=model_cfg,
        device=device,
        batch_size=settings.batch_size,
    )


def _load_model(
    parsed: EncoderSpec, device: torch.device, settings: StyleSettings
) -> tuple[str, torch.nn.Module, dict[str, Any] | None]:
    """(the registered open_clip name, the model with its weights, its config if known)."""
    if parsed.kind == "packaged":
        assert parsed.arch is not None
        return load_packaged_model(parsed.arch, settings, device)
    if parsed.kind == "directory":
        directory = parsed.path
        assert directory is not None
        config_file, weights = directory / ENCODER_CONFIG_FILE, directory / ENCODER_WEIGHTS_FILE
        if not (config_file.is_file() and weights.is_file()):
            if parsed.is_demo:
                raise EncoderUnavailable(
                    f"The demo encoder has not been trained yet (nothing usable in {directory}). "
                    f"{TRAIN_HELP}."
                )
            raise EncoderUnavailable(
                f"The encoder directory {directory} (spec '{parsed.text}') needs {ENCODER_CONFIG_FILE} "
                f"and {ENCODER_WEIGHTS_FILE}."
            )
        model_cfg, preprocess = _split_config(_read_json(config_file, parsed.text), config_file)
        name = register_config(model_cfg)
        return (
            name,
            _create(name, parsed, pretrained=str(weights), preprocess=preprocess, device=device),
            model_cfg,
        )
    if parsed.kind == "config+checkpoint":
        assert parsed.config_path is not None and parsed.path is not None
        model_cfg, preprocess = _split_config(
            _read_json(parsed.config_path, parsed.text), parsed.config_path
        )
        if not parsed.path.is_file():
            raise EncoderUnavailable(
                f"The encoder checkpoint {parsed.path} (spec '{parsed.text}') does not exist."
            )
        name = register_config(model_cfg)
        return (
            name,
            _create(
                name, parsed, pretrained=str(parsed.path), preprocess=preprocess, device=device
            ),
            model_cfg,
        )
    if parsed.kind == "checkpoint":
        assert parsed.path is not None
        payload = _read_stylist_checkpoint(parsed.path, parsed.text)
        model_cfg = payload["model_cfg"]
        name = register_config(model_cfg)
        return (
            name,
            _create(
                name,
                parsed,
                pretrained=str(parsed.path),
                preprocess=payload.get("preprocess_cfg"),
                device=device,
            ),
            model_cfg,
        )
    if parsed.kind == "hf-hub":
        name = f"hf-hub:{parsed.hub_id}"
        return name, _create(name, parsed, device=device), None
    # ARCH:TAG or ARCH:/path/to/weights
    assert parsed.arch is not None and parsed.tag is not None
    arch = parsed.arch
    if open_clip.get_model_config(arch) is None:
        raise EncoderUnavailable(
            f"The encoder spec '{parsed.text}' names an unknown open_clip architecture "
            f"'{arch}'; `python -c \"import open_clip; print(open_clip.list_models())\"` lists them."
        )
    if looks_like_path(parsed.tag):
        if not Path(parsed.tag).is_file():
            raise EncoderUnavailable(
                f"The weights file {parsed.tag} (spec '{parsed.text}') does not exist."
            )
    elif not open_clip.get_pretrained_cfg(arch, parsed.tag):
        tags = ", ".join(open_clip.list_pretrained_tags_by_model(arch)) or "none"
        raise EncoderUnavailable(
            f"The encoder spec '{parsed.text}' names an unknown pretrained tag '{parsed.tag}' for "
            f"{arch}; its tags are: {tags}."
        )
    return (
        arch,
        _create(arch, parsed, pretrained=parsed.tag, device=device),
        open_clip.get_model_config(arch),
    )


# --- the process-wide encoder --------------------------------------------------------------

# One encoder per process: a new key (retrained weights, another spec or device) drops the old
# one with its memory.
_ENCODERS: ReloadingCache[Encoder] = ReloadingCache()


def get_encoder(settings: StyleSettings | None = None) -> Encoder:
    """The configured encoder, loaded once per process.

    Cached by (spec, fingerprint, device): retraining the demo encoder changes its weights hash,
    so the next call loads the new weights instead of serving the old ones.
    """
    settings = settings or get_settings()
    parsed = parse_spec(settings.encoder, settings)
    weights = parsed.weights_file
    if parsed.is_demo and weights is not None and not weights.is_file():
        load_encoder(settings.encoder, settings)  # raises the "train it first" sentence
    try:
        current = fingerprint(parsed)
    except OSError:
        current = parsed.text  # missing file: load_encoder below explains it
    key = (str(parsed.path or parsed.text), current, settings.device)
    return _ENCODERS.get(key, lambda: load_encoder(settings.encoder, settings))
