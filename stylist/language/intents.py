"""Intents by meaning: a message is matched to example phrases (`intent_examples.json`).

Each intent's score is the mean cosine of the message to its `top_k` nearest examples; the
confidence is a softmax over those scores, its temperature fitted by leave-one-out over the
examples themselves (`IntentMatcher.calibrate`), so a clear winner is near 1 and a tie near 1/2. A message no intent explains well (best score below
`min_similarity`), or one two intents explain equally well (gap below `min_margin`), gets
"clarify": the stylist asks one short question instead of searching for the wrong thing.
A message with two asks ("what is this and what goes with it?") is split into clauses, and
each clause that is clearly a different ask adds its intent, in the order said.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from stylist.language.result import IntentScore
from stylist.language.text import normalise

CLARIFY = "clarify"

# Clause breaks: sentence punctuation, "then"/"also", and "and" before a new question or verb
# ("what is this and what goes with it", but not "black and white shirts").
_CLAUSE_BREAK = re.compile(
    r"\s*(?:[?!;.]+|,?\s*\b(?:and\s+)?then\b|,?\s*\b(?:and\s+)?also\b|"
    r",?\s*\band\s+(?=(?:what|how|which|show|find|can|could|would|will|tell|give|get|"
    r"caption|describe|suggest|recommend|pair|is|does|do|write|tag|search|complete|build|"
    r"put|make|create|style|an?\s+(?:outfit|look))\b))\s*"
)


@dataclass(frozen=True)
class IntentDecision:
    intents: list[str]
    confidence: float
    ranked: list[IntentScore]  # the whole message's scores, best first


@dataclass(frozen=True)
class Calibration:
    """Leave-one-out over the examples: the fitted temperature, how often the nearest other
    examples name the right intent, and the mean confidence the matcher then gives."""

    temperature: float
    accuracy: float
    mean_confidence: float


@dataclass
class IntentMatcher:
    labels: list[str]  # one per example
    examples: list[str]
    vectors: np.ndarray  # (n examples, dim), unit rows
    min_similarity: float
    min_margin: float
    top_k: int
    temperature: float  # softmax temperature for confidences (fitted by `calibrate`)
    calibration: Calibration | None = None
    # Intents a message can only mean when it says so in words (`own_things_cue` in the data).
    cue_intents: frozenset[str] = frozenset()
    cue: re.Pattern | None = None

    @classmethod
    def from_data(
        cls, data: Mapping, encoder, rewrite: Callable[[str], str] = normalise
    ) -> IntentMatcher:
        """Matcher over the examples in `data`; `rewrite` is applied to every example exactly as
        the caller applies it to messages (e.g. `SkeletonWriter` after `normalise`)."""
        labels = [i for i, phrases in data["intents"].items() for _ in phrases]
        examples = [p for phrases in data["intents"].values() for p in phrases]
        matcher = cls(
            labels,
            examples,
            encoder.encode([rewrite(normalise(e)) for e in examples]),
            float(data["min_similarity"]),
            float(data["min_margin"]),
            int(data["top_k"]),
            temperature=1.0,
        )
        if cue := data.get("own_things_cue"):
            matcher.cue_intents = frozenset(cue["intents"])
            matcher.cue = re.compile(cue["pattern"], re.IGNORECASE)
        matcher.calibration = matcher.calibrate()
        matcher.temperature = matcher.calibration.temperature
        return matcher

    def calibrate(self) -> Calibration:
        """The softmax temperature, from leave-one-out over the examples.

        Each example is scored against all the others; the softmax temperature that gives the
        true intents the highest mean log-probability is the one whose confidences best match
        how often the matcher is right on phrasings it has not seen.
        """
        similarity = self.vectors @ self.vectors.T
        np.fill_diagonal(similarity, -np.inf)
        labels = np.asarray(self.labels)
        scores = np.stack(
            [
                np.sort(similarity[:, labels == intent], axis=1)[:, ::-1][:, : self.top_k].mean(1)
                for intent in self.intents
            ],
            axis=1,
        )
        scores = np.where(np.isfinite(scores), scores, -1.0)  # an intent with one example
        truth = np.array([self.intents.index(label) for label in self.labels])
        accuracy = float((scores.argmax(1) == truth).mean())
        best = Calibration(1.0, accuracy, float("nan"))
        best_nll = np.inf
        for temperature in np.geomspace(0.005, 0.5, 60):
            logits = scores / temperature
            logits -= logits.max(1, keepdims=True)
            log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
            nll = -float(log_p[np.arange(len(truth)), truth].mean())
            if nll < best_nll:
                confidence = float(np.exp(log_p.max(1)).mean())
                best, best_nll = Calibration(float(temperature), accuracy, confidence), nll
        return best

    @property
    def intents(self) -> list[str]:
        return list(dict.fromkeys(self.labels))

    def scores(self, vector: np.ndarray) -> dict[str, float]:
        """Per intent, the mean cosine of its `top_k` nearest examples."""
        similarity = self.vectors @ vector
        out: dict[str, float] = {}
        labels = np.asarray(self.labels)
        for intent in self.intents:
            sims = np.sort(similarity[labels == intent])[::-1][: self.top_k]
            out[intent] = float(sims.mean())
        return out

    def ruled_out(self, text: str) -> frozenset[str]:
        """The cue intents `text` cannot mean: it never says they are about the person's own
        things."""
        if self.cue is None or self.cue.search(text):
            return frozenset()
        return self.cue_intents

    def rank(
        self, vector: np.ndarray, ruled_out: frozenset[str] = frozenset()
    ) -> tuple[list[IntentScore], float, float]:
        """(ranked confidences, best raw score, gap to the runner-up's raw score), leaving out
        the intents `ruled_out`."""
        scores = {k: v for k, v in self.scores(vector).items() if k not in ruled_out}
        names = sorted(scores, key=scores.get, reverse=True)
        raw = np.array([scores[n] for n in names])
        weights = np.exp((raw - raw[0]) / self.temperature)
        confidence = weights / weights.sum()
        ranked = [
            IntentScore(intent=n, confidence=round(float(c), 4))
            for n, c in zip(names, confidence, strict=True)
        ]
        gap = float(raw[0] - raw[1]) if len(raw) > 1 else float(raw[0])
        return ranked, float(raw[0]), gap

    def is_clear(self, best: float, gap: float) -> bool:
        return best >= self.min_similarity and gap >= self.min_margin

    def decide(
        self,
        whole: np.ndarray,
        clauses: Sequence[np.ndarray] = (),
        ruled_out: frozenset[str] = frozenset(),
    ) -> IntentDecision:
        ranked, best, gap = self.rank(whole, ruled_out)
        clear = self.is_clear(best, gap)
        if len(clauses) > 1:
            said: list[str] = []
            for vector in clauses:
                clause_ranked, clause_best, clause_gap = self.rank(vector, ruled_out)
                if self.is_clear(clause_best, clause_gap):
                    said.append(clause_ranked[0].intent)
            said = list(dict.fromkeys(said))
            if len(said) > 1:
                return IntentDecision(said, ranked[0].confidence, ranked)
        if not clear:
            return IntentDecision([CLARIFY], ranked[0].confidence, ranked)
        return IntentDecision([ranked[0].intent], ranked[0].confidence, ranked)


def split_clauses(text: str) -> list[str]:
    """The message's separate asks (at least one; empty pieces dropped)."""
    parts = [p.strip(" ,") for p in _CLAUSE_BREAK.split(text)]
    return [p for p in parts if len(p.split()) >= 2 or (p and len(parts) == 1)] or [text]


def examples_path() -> Path:
    return Path(str(resources.files("stylist.language").joinpath("intent_examples.json")))


def load_examples(path: Path | None = None) -> dict:
    return json.loads(Path(path or examples_path()).read_text())
