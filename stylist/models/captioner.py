"""Short fashion captions without an LLM: the tagger's attributes plus zero-shot descriptors.

"Navy blue men's casual shirt in a slim fit, striped cotton — for summer days."

The sentence is assembled from two sources:

- the predicted attributes (a tags dict: attribute → ranked (label, probability), the
  AttributeTagger format), each used only when its top label is confident enough;
- descriptors the attributes do not cover (pattern, fit, material, style), ranked zero-shot by
  the CLIP encoder against the vocabularies in caption_vocab.json. A descriptor is used only when
  it wins its group convincingly (probability and margin over the runner-up above the group's
  thresholds): a wrong "silk" is worse than saying nothing about the fabric.

The words live in caption_vocab.json; this module only decides which of them to say.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from stylist.models.encoder import get_encoder
from stylist.models.errors import EncoderUnavailable
from stylist.models.taggers import load_tagger
from stylist.process_cache import ReloadingCache, file_stamp

VOCAB_PATH = Path(__file__).with_name("caption_vocab.json")

# A tags dict as the tagger returns it; the UI artifact's {"label", "confidence"} form is
# accepted too so either can be passed straight through.
Tags = Mapping[str, Sequence[tuple[str, float] | Mapping[str, Any]]]

# Optional parts of a caption, dropped in this order when it runs over the word budget.
_DROP_ORDER = ("style", "material", "pattern", "fit", "season", "usage")


_VOCABS: ReloadingCache[dict[str, Any]] = ReloadingCache()


def load_caption_vocab() -> dict[str, Any]:
    """caption_vocab.json, read once per process (and again when the file is edited)."""
    return _VOCABS.get(
        file_stamp(VOCAB_PATH), lambda: json.loads(VOCAB_PATH.read_text(encoding="utf-8"))
    )


@dataclass(frozen=True)
class Descriptor:
    group: str
    label: str
    probability: float
    margin: float  # probability of the winner minus that of the runner-up


def convincing(
    labels: Sequence[str], probabilities: np.ndarray, *, min_probability: float, min_margin: float
) -> tuple[str, float, float] | None:
    """The winning label when it wins clearly, else None."""
    if len(labels) == 0:
        return None
    order = np.argsort(-probabilities)
    top = float(probabilities[order[0]])
    runner_up = float(probabilities[order[1]]) if len(order) > 1 else 0.0
    if top >= min_probability and top - runner_up >= min_margin:
        return labels[int(order[0])], top, top - runner_up
    return None


def top_tag(tags: Tags | None, attribute: str, min_confidence: float) -> str | None:
    """The attribute's best label when its confidence reaches `min_confidence`."""
    ranked = (tags or {}).get(attribute) or []
    if not ranked:
        return None
    best = ranked[0]
    if isinstance(best, Mapping):
        label, confidence = best.get("label"), best.get("confidence", best.get("probability", 0))
    else:
        label, confidence = best[0], best[1]
    if not label or label == "Other" or float(confidence) < min_confidence:
        return None
    return str(label)


class Captioner:
    """Captions from tags + zero-shot descriptors; prompt embeddings are computed once."""

    def __init__(self, encoder: Any | None = None, vocab: Mapping[str, Any] | None = None):
        self.encoder = encoder
        self.vocab = dict(vocab or load_caption_vocab())
        self._prompts: dict[str, tuple[list[str], np.ndarray]] | None = None

    # -- zero-shot descriptors ------------------------------------------------------------

    def _group_prompts(self) -> dict[str, tuple[list[str], np.ndarray]]:
        """Per group: its labels and their embeddings, (labels, templates, dim) — one per
        template, each the mean over the label's synonyms."""
        if self._prompts is None:
            templates = self.vocab["prompt_templates"]
            prompts = {}
            for group, spec in self.vocab["groups"].items():
                labels = list(spec["labels"])
                synonyms = [spec["labels"][label] for label in labels]
                texts = [t.format(s) for syn in synonyms for t in templates for s in syn]
                emb = self.encoder.encode_texts(texts)
                rows, start = [], 0
                for syn in synonyms:
                    block = emb[start : start + len(templates) * len(syn)]
                    block = block.reshape(len(templates), len(syn), -1).mean(axis=1)
                    rows.append(
                        block / np.maximum(np.linalg.norm(block, axis=-1, keepdims=True), 1e-12)
                    )
                    start += len(templates) * len(syn)
                prompts[group] = (labels, np.stack(rows).astype(np.float32))
            self._prompts = prompts
        return self._prompts

    def descriptors(
        self, image: Image.Image | str | Path | np.ndarray, master_category: str | None = None
    ) -> dict[str, Descriptor]:
        """The convincing descriptor of each group (groups that do not apply are skipped).

        `image` may be a picture or its (normalised) image embedding.
        """
        if self.encoder is None:
            return {}
        if isinstance(image, np.ndarray):
            embedding = image.reshape(-1).astype(np.float32)
        else:
            embedding = self.encoder.encode_images([image])[0]
        scale = _logit_scale(self.encoder)
        found = {}
        for group, (labels, prompt_emb) in self._group_prompts().items():
            spec = self.vocab["groups"][group]
            if master_category and master_category not in spec.get("applies_to", [master_category]):
                continue
            sims = prompt_emb @ embedding  # (labels, templates)
            probabilities = _softmax(scale * sims.mean(axis=1))
            winner = convincing(
                labels,
                probabilities,
                min_probability=spec["min_probability"],
                min_margin=spec["min_margin"],
            )
            # Prompt agreement: every template alone must pick the same winner, so a label that
            # wins only under one phrasing (a quirk of the wording) is not said.
            if winner is not None and np.all(sims.argmax(axis=0) == labels.index(winner[0])):
                found[group] = Descriptor(group, *winner)
        return found

    # -- the sentence ---------------------------------------------------------------------

    def compose(
        self, tags: Tags | None, descriptors: Mapping[str, Descriptor] | None = None
    ) -> str:
        """The caption from tags and (already chosen) descriptors, within the word budget."""
        vocab = self.vocab
        threshold = float(vocab["min_tag_confidence"])
        colour = top_tag(tags, "baseColour", threshold)
        gender = top_tag(tags, "gender", threshold)
        usage = top_tag(tags, "usage", threshold)
        season = top_tag(tags, "season", threshold)
        article = _article_name(tags, threshold, vocab["article"])
        words = {
            "usage": vocab["usage"].get(usage, usage.lower()) if usage else None,
            "season": vocab["season"].get(season, f"for {season.lower()}") if season else None,
        }
        if words["usage"] and words["usage"].split("-")[0] in article.lower():
            words["usage"] = None  # not "sports sports shoes"
        for group in ("pattern", "fit", "material", "style"):
            found = (descriptors or {}).get(group)
            words[group] = found.label if found else None
        if words["pattern"] == "plain":
            words["pattern"] = None  # "plain" adds nothing a reader wants to hear
        if words["material"] and words["material"] in article.lower():
            words["material"] = None

        def build() -> str:
            head = " ".join(
                w
                for w in (
                    colour.lower() if colour else None,
                    vocab["gender"].get(gender, gender.lower()) if gender else None,
                    words["usage"],
                    article,
                )
                if w
            )
            if words["fit"]:
                head += f" in a {words['fit']}"
            texture = " ".join(w for w in (words["pattern"], words["material"]) if w)
            if texture:
                head += f", {texture}"
            if words["style"]:
                head += f", with a {words['style']} feel"
            if words["season"]:
                head += f" — {words['season']}"
            return head[:1].upper() + head[1:] + "."

        caption = build()
        for part in _DROP_ORDER:
            if _word_count(caption) <= int(vocab["max_words"]):
                break
            words[part] = None
            caption = build()
        return caption

    def caption(self, image: Image.Image | str | Path, tags: Tags | None = None) -> str:
        if tags is None:
            tags = load_tagger().predict([image], top_k=3)[0]
        master = top_tag(tags, "masterCategory", float(self.vocab["min_tag_confidence"]))
        return self.compose(tags, self.descriptors(image, master))


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max())
    return e / e.sum()


def _word_count(text: str) -> int:
    return len([w for w in text.replace("—", " ").split() if w.strip(",.")])


def _article_name(tags: Tags | None, threshold: float, names: Mapping[str, str]) -> str:
    """The garment's noun: article type, else sub-category, else master category, else "piece"."""
    for attribute in ("articleType", "subCategory", "masterCategory"):
        label = top_tag(tags, attribute, threshold)
        if label:
            return names.get(label, label.lower())
    return "piece"


def _logit_scale(encoder: Any) -> float:
    """The encoder's own softmax temperature (CLIP's learned logit scale), capped at 100."""
    scale = getattr(getattr(encoder, "model", None), "logit_scale", None)
    if scale is None:
        return 100.0
    return min(100.0, math.exp(float(scale.detach()))) if hasattr(scale, "detach") else 100.0


# One captioner per process: its prompt embeddings belong to one encoder and one vocabulary.
_CAPTIONERS: ReloadingCache[Captioner] = ReloadingCache()


def caption_image(
    image: Image.Image | str | Path, tags: Tags | None = None, encoder: Any | None = None
) -> str:
    """A caption of at most ~20 words. Without `tags` the configured tagger predicts them;
    without `encoder` the configured one ranks the descriptors, and if no encoder can be loaded
    the caption is built from the tags alone."""
    if encoder is None:
        try:
            encoder = get_encoder()
        except EncoderUnavailable:
            encoder = None
    # Keyed by the encoder object itself (not only its fingerprint): an encoder passed in by a
    # caller must rank the descriptors, not another instance with the same weights.
    key = (id(encoder), encoder.fingerprint if encoder is not None else "", file_stamp(VOCAB_PATH))
    captioner = _CAPTIONERS.get(key, lambda: Captioner(encoder))
    return captioner.caption(image, tags)
