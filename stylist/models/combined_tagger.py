"""Two taggers, one answer: the catalog-trained tagger and the real-photo (ImageNet) tagger.

The demo install's trained tagger has only seen the synthetic catalog's drawings; on a real
photo it guesses, often confidently. The ImageNet tagger (`imagenet_tags.py`) knows real photos
but only the coarse catalog levels and the colour. Per attribute, each answer is weighted by how
sure it is (its top probability, times a per-tagger reliability) and the two distributions are
mixed with those weights:

- when both name the same label, it keeps a high confidence;
- when they disagree, the surer one wins, but with a confidence well below what it claimed
  alone, so the tags themselves say "unsure" (the offline stylist says "I'm not certain" below
  0.5; an LLM sees the figure) — and `disagreements` names the attributes where they differed.

The answer keeps the AttributeTagger format: the tools take this tagger unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from stylist.catalog.schema import ATTRIBUTES
from stylist.images import covering_size, load_image
from stylist.models.shared_backbone import SharedBackbone, find_shared_backbone
from stylist.models.tagging import AttributeTagger, Prediction

# How many labels to ask each tagger for: enough that the other's winner usually has a share.
CANDIDATES = 20


def _weight(ranked: Sequence[tuple[str, float]], reliability: float) -> float:
    return reliability * (ranked[0][1] if ranked else 0.0)


def mix(
    trained: Sequence[tuple[str, float]],
    photo: Sequence[tuple[str, float]],
    trained_reliability: float = 1.0,
    photo_reliability: float = 1.0,
) -> list[tuple[str, float]]:
    """The confidence-weighted mixture of two ranked answers, most likely first."""
    w_trained = _weight(trained, trained_reliability)
    w_photo = _weight(photo, photo_reliability)
    total = w_trained + w_photo
    if total <= 0:
        return list(trained or photo)
    mixed: dict[str, float] = defaultdict(float)
    for ranked, weight in ((trained, w_trained), (photo, w_photo)):
        for label, p in ranked:
            mixed[label] += weight * p / total
    return sorted(mixed.items(), key=lambda kv: (-kv[1], kv[0]))


def disagreements(trained: Prediction, photo: Prediction) -> list[str]:
    """The attributes whose top labels differ between the two answers."""
    return [
        a
        for a in ATTRIBUTES
        if trained.get(a) and photo.get(a) and trained[a][0][0] != photo[a][0][0]
    ]


class CombinedTagger:
    """AttributeTagger: the trained tagger and the real-photo tagger, mixed by confidence.

    `reliability` scales the real-photo tagger's weight per attribute (1.0 where missing); it
    is measured on real photos outside the evaluation sample (bench/eval_real_photo_tagger.py
    --calibrate)."""

    def __init__(
        self,
        trained: AttributeTagger,
        photo: AttributeTagger,
        reliability: Mapping[str, float] | None = None,
    ):
        self.trained = trained
        self.photo = photo
        self.reliability = dict(reliability or {})

    def predict_both(
        self, images: Sequence[Image.Image | str | Path]
    ) -> tuple[list[Prediction], list[Prediction]]:
        """Each tagger's own answer (CANDIDATES labels an attribute), for measuring."""
        opened = [im if isinstance(im, Image.Image) else load_image(im) for im in images]
        return (
            self.trained.predict(opened, top_k=CANDIDATES),
            self.photo.predict(opened, top_k=CANDIDATES),
        )

    def combine(self, trained: Prediction, photo: Prediction, top_k: int) -> Prediction:
        return {
            a: mix(
                trained.get(a, []), photo.get(a, []), photo_reliability=self.reliability.get(a, 1.0)
            )[:top_k]
            for a in ATTRIBUTES
            if trained.get(a) or photo.get(a)
        }

    @property
    def pixel_size(self) -> tuple[int, int] | None:
        """What the photo's pixels must cover for the taggers that read pixels (see
        `ImageNetTagger.pixel_size`); None when neither does."""
        return covering_size(*(getattr(t, "pixel_size", None) for t in (self.trained, self.photo)))

    @property
    def encoder(self):
        """The trained tagger's image encoder (None for a pixel tagger): a caller that already
        holds a photo's embedding passes it to `predict_embedded` instead of encoding twice."""
        if hasattr(self.trained, "predict_embeddings"):
            return getattr(self.trained, "encoder", None)
        return None

    def shared_backbone(self, encoder) -> SharedBackbone | None:
        """The one pass giving `encoder`'s embeddings and the real-photo tagger's ImageNet
        probabilities, when the encoder's image tower is that network (`shared_backbone.py`)."""
        network = getattr(self.photo, "network", None)
        if network is None or encoder is None:
            return None
        return find_shared_backbone(encoder, network)

    def predict_embedded(
        self,
        images: Sequence[Image.Image],
        embeddings: np.ndarray,
        top_k: int = 3,
        imagenet_probabilities: np.ndarray | None = None,
    ) -> list[Prediction]:
        """Like `predict`, with the trained (embedding) tagger reading `embeddings` (one row per
        image, from `encoder`) and the real-photo tagger the pixels, or, when the encoder's pass
        already gave them (`shared_backbone`), the ImageNet probabilities and the pixels only
        for the colour."""
        trained = self.trained.predict_embeddings(embeddings, CANDIDATES)
        if imagenet_probabilities is not None:
            photo = [
                self.photo.tag_probabilities(p, image, CANDIDATES)
                for p, image in zip(imagenet_probabilities.tolist(), images, strict=True)
            ]
        else:
            photo = self.photo.predict(list(images), top_k=CANDIDATES)
        return [self.combine(t, p, top_k) for t, p in zip(trained, photo, strict=True)]

    def predict(
        self, images: Sequence[Image.Image | str | Path], top_k: int = 3
    ) -> list[Prediction]:
        if isinstance(images, (Image.Image, str, Path)):
            images = [images]
        if not images:
            return []
        trained, photo = self.predict_both(images)
        return [self.combine(t, p, top_k) for t, p in zip(trained, photo, strict=True)]
