"""Text embeddings computed on the used prefix of the token rows, not the padded context.

open_clip pads every text to the model's context length (77 for the CLIP family) and runs the
text transformer over all of it. In a causal text tower pooled at the end-of-text token, no
position after that token can influence the pooled feature, so the padding is pure waste:
product names use 10–20 of the 77 positions. On this 2-core machine a ViT-B-32 spends 178 ms
per name on the full context; trimming the batch to its longest name does the same arithmetic
on the positions that matter (`bench/bench_index.py` reports the effect).

A Hugging Face text tower (open_clip's `HFTextEncoder`, the packaged MiniLM) masks the padding
out of attention and pooling, so its rows are trimmed to the batch's longest one: exact too.

Only models where the shortcut is exact qualify (`supports_prefix`); the encoder also checks
the result against the full computation once before relying on it.
"""

from __future__ import annotations

import open_clip
import torch
from open_clip.hf_model import HFTextEncoder
from open_clip.transformer import text_global_pool


def supports_prefix(model: torch.nn.Module) -> bool:
    """True for open_clip's built-in CLIP text tower with a causal mask and end-token pooling
    (CLIP, OpenCLIP, the demo encoder); False for towers that see the whole row (SigLIP's
    'last' pooling, CoCa's appended class token), and for a Hugging Face text tower, whose
    padding is masked (trimmed to the longest row instead)."""
    if _hf_text_tower(model) is not None:
        return True
    return (
        type(model) is open_clip.CLIP
        and getattr(model, "attn_mask", None) is not None
        and getattr(model, "text_pool_type", None) in ("argmax", "eos")
    )


def _hf_text_tower(model: torch.nn.Module) -> HFTextEncoder | None:
    text = getattr(model, "text", None)
    return text if isinstance(text, HFTextEncoder) else None


def trim_padding(tokens: torch.Tensor, pad_token_id: int) -> torch.Tensor:
    """Right-padded token rows cut after the longest row's last real token."""
    used = int((tokens != pad_token_id).sum(dim=-1).max()) if len(tokens) else 1
    return tokens[:, : max(used, 1)]


def pooled_positions(model: torch.nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """Per row, the position whose feature becomes the text embedding."""
    if model.text_pool_type == "eos":
        return (tokens == model.text_eos_id).int().argmax(dim=-1)
    return tokens.argmax(dim=-1)  # argmax: the end-of-text token has the highest id


def encode_text_prefix(model: torch.nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """`model.encode_text(tokens)` (unnormalised) computed on the columns up to the last pooled
    position of the batch; mirrors open_clip's CLIP.encode_text step for step."""
    hf_tower = _hf_text_tower(model)
    if hf_tower is not None:
        return model.encode_text(trim_padding(tokens, hf_tower.config.pad_token_id))
    used = int(pooled_positions(model, tokens).max()) + 1
    tokens = tokens[:, :used]
    cast_dtype = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens).to(cast_dtype)
    x = x + model.positional_embedding[:used].to(cast_dtype)
    x = model.transformer(x, attn_mask=model.attn_mask[:used, :used])
    x = model.ln_final(x)
    x = text_global_pool(
        x, tokens, model.text_pool_type, eos_token_id=getattr(model, "text_eos_id", None)
    )
    if model.text_projection is not None:
        if isinstance(model.text_projection, torch.nn.Linear):
            x = model.text_projection(x)
        else:
            x = x @ model.text_projection
    return x
