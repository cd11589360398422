"""What identifies an encoder's weights: checkpoints of heads, the few-shot head and the index
record it and refuse to load against another encoder."""

from __future__ import annotations

import hashlib
from pathlib import Path

from stylist.models.encoder.spec import EncoderSpec
from stylist.process_cache import ReloadingCache, file_stamp

# A few weights files per process (the configured encoder, another one being compared, ...);
# keyed by file stamp, so a rewritten file is hashed again and a big checkpoint only once.
_DIGESTS: ReloadingCache[str] = ReloadingCache(maxsize=8)


def weights_sha256(path: Path) -> str:
    def digest() -> str:
        sha = hashlib.sha256()
        with Path(path).open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                sha.update(block)
        return sha.hexdigest()

    return _DIGESTS.get(file_stamp(path), digest)


def fingerprint(parsed: EncoderSpec) -> str:
    """Spec + weights hash for local weights, the spec itself for pretrained tags / hub ids.

    File specs show only the file name, so moving a data dir does not orphan the heads and the
    index built on the same weights; the hash is what identifies them. A missing weights file
    raises OSError.
    """
    weights = parsed.weights_file
    if weights is None:
        return parsed.text
    if parsed.is_demo:
        label = "demo"
    elif parsed.kind == "packaged":
        label = parsed.text
    elif parsed.kind == "directory":
        label = weights.parent.name
    elif parsed.kind == "pretrained":
        label = f"{parsed.arch}:{weights.name}"
    else:
        label = weights.name
    return f"{label}@sha256:{weights_sha256(weights)[:16]}"
