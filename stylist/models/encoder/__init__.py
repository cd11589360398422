"""The CLIP image + text encoder: one interface over open_clip, whatever the weights' source.

One module per job:

- `spec`: the spec string that names an encoder (settings.encoder, STYLIST_ENCODER);
- `fingerprint`: what identifies the weights (checkpoints and the index record it);
- `runtime`: `Encoder`, the model with its preprocessing and tokenizer, answering in numpy;
- `registry`: model configs made known to open_clip's factory;
- `factory`: a new (randomly initialised) encoder, and saving one in open_clip's local-dir layout;
- `loading`: `load_encoder(spec)` with failures as one sentence, and `get_encoder()`, the
  process-wide encoder.

This package's namespace is the encoder's public interface; the names below are the only
ones other modules import.
"""

from stylist.models.encoder.factory import STYLIST_PREPROCESS, build_encoder, save_encoder
from stylist.models.encoder.loading import get_encoder, load_encoder
from stylist.models.encoder.registry import MODEL_CONFIGS_DIR, register_model_configs
from stylist.models.encoder.runtime import Encoder
from stylist.models.encoder.spec import EncoderSpec, parse_spec
from stylist.models.errors import EncoderUnavailable

__all__ = [
    "MODEL_CONFIGS_DIR",
    "STYLIST_PREPROCESS",
    "Encoder",
    "EncoderSpec",
    "EncoderUnavailable",
    "build_encoder",
    "get_encoder",
    "load_encoder",
    "parse_spec",
    "register_model_configs",
    "save_encoder",
]
