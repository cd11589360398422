"""The few-shot head: recognise a class (an article type, or a style a person names in chat)
from a handful of examples, on frozen CLIP features.

Features: catalog items use the encoder's fused embedding, normalize(0.9 * image + 0.1 *
text of the item's name) (`embed_catalog`), since a catalog item has its metadata. A photo
uploaded in chat has no metadata, so it is described by its image embedding alone; the fused
embedding is 90% image, so both live in the same space (the report measures both).

The head is a cosine classifier, logits = scale * <x, w_c> + b_c, initialised from class
prototypes in the spirit of Tip-Adapter / LP++: w_c = normalize(mean of the class's features
+ text_weight * text embedding of the class name), then fine-tuned briefly with cross-entropy
and an L2 pull towards the prototypes (few examples must not drag a row far from its
prototype). `teach(label, images)` adds a class (or examples to one) without retraining from
scratch: the new row starts at its prototype and only that row is fine-tuned, against the
stored prototypes of every other class. `NearestClassMean` is the baseline beside it.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field
from tqdm import tqdm

from stylist.catalog.schema import OTHER
from stylist.layout import InstallLayout
from stylist.models import reporting
from stylist.models.checkpoints import (
    check_encoder,
    read_checkpoint,
    read_config,
    save_checkpoint,
)
from stylist.models.configs import TrainingConfig
from stylist.models.embeddings import embed_catalog
from stylist.models.encoder import Encoder, get_encoder
from stylist.models.metrics import draw_support, summarise_draws
from stylist.settings import StyleSettings, get_settings

if TYPE_CHECKING:
    from PIL import Image

    from stylist.catalog.store import Catalog

FEWSHOT_KIND = "few-shot head"
HOW_TO_MAKE = "`stylist train fewshot` (or `make demo`)"
REPORT_NAME = "fewshot"


class FewShotConfig(TrainingConfig):
    logit_scale: float = 30.0  # cosine similarities are in [-1, 1]: sharpen them into logits
    # How much of the class name's text embedding enters a prototype; on the demo encoder 1.5
    # beat 0 / 0.5 / 1 / 2 on held-out types (5-shot among all classes: 0.52 -> 0.62).
    text_weight: float = 1.5
    epochs: int = 200  # full-batch steps of the base fit
    lr: float = 5e-3
    anchor: float = 1.0  # L2 pull of each row towards its prototype
    teach_steps: int = 60
    # k-shot evaluation
    holdout_types: int = 5
    shots: list[int] = Field(default_factory=lambda: [1, 5, 10])
    draws: int = 5
    seed: int = 0


def _normalise(x: torch.Tensor) -> torch.Tensor:
    return F.normalize(x.float(), dim=-1)


def _as_features(features: np.ndarray | torch.Tensor) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(features, dtype=np.float32))
    return _normalise(x[None] if x.ndim == 1 else x)


class FewShotHead:
    """Cosine classifier initialised from prototypes; `teach` adds classes incrementally."""

    def __init__(self, encoder: Encoder | None = None, config: FewShotConfig | None = None):
        self.encoder = encoder
        self.config = config or FewShotConfig()
        self.encoder_fingerprint = encoder.fingerprint if encoder is not None else None
        self.classes: list[str] = []
        self.weight = torch.zeros((0, 0))
        self.bias = torch.zeros(0)
        self.prototypes = torch.zeros((0, 0))  # class means of the (normalised) features
        self.counts = torch.zeros(0, dtype=torch.int64)
        self.taught: list[str] = []  # classes added by teach(), in order

    # -- sharing ----------------------------------------------------------------------------

    def __deepcopy__(self, memo: dict) -> FewShotHead:
        """Copies the head's tensors but shares the encoder: a chat teaches a private copy of
        the shared head, and copying a CLIP model for that would cost memory and seconds."""
        clone = FewShotHead.__new__(FewShotHead)
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            setattr(clone, name, value if name == "encoder" else copy.deepcopy(value, memo))
        return clone

    # -- building blocks --------------------------------------------------------------------

    def _text_features(self, labels: Sequence[str]) -> torch.Tensor:
        """The class names' text embeddings, or zeros when there is no encoder / no text."""
        dim = self.prototypes.shape[1] if self.prototypes.numel() else None
        if self.encoder is None or self.config.text_weight <= 0 or not labels:
            return torch.zeros((len(labels), dim or 0))
        return _normalise(torch.as_tensor(self.encoder.encode_texts(list(labels))))

    def _initial_rows(self, prototypes: torch.Tensor, labels: Sequence[str]) -> torch.Tensor:
        text = self._text_features(labels)
        rows = _normalise(prototypes)
        if text.shape == rows.shape:
            rows = rows + self.config.text_weight * text
        return _normalise(rows)

    def _logits(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return self.config.logit_scale * x @ weight.T + bias

    # -- training ---------------------------------------------------------------------------

    def fit(
        self, features: np.ndarray, labels: Sequence[str], progress: bool = False
    ) -> list[float]:
        """Learn every class in `labels` from scratch; returns the loss per step."""
        x = _as_features(features)
        labels = [str(v) for v in labels]
        if len(x) != len(labels) or len(x) == 0:
            raise ValueError("fit needs one label per feature row, and at least one row.")
        self.classes = sorted(set(labels))
        index = {c: i for i, c in enumerate(self.classes)}
        y = torch.tensor([index[v] for v in labels])
        n_classes = len(self.classes)
        self.counts = torch.bincount(y, minlength=n_classes)
        sums = torch.zeros((n_classes, x.shape[1])).index_add_(0, y, x)
        self.prototypes = sums / self.counts[:, None].clamp_min(1)
        initial = self._initial_rows(self.prototypes, self.classes)
        weight = initial.clone().requires_grad_(True)
        bias = torch.zeros(n_classes, requires_grad=True)
        optimizer = torch.optim.Adam([weight, bias], lr=self.config.lr)
        losses: list[float] = []
        for _ in tqdm(
            range(self.config.epochs), desc="few-shot head", unit="step", disable=not progress
        ):
            loss = F.cross_entropy(self._logits(x, weight, bias), y)
            loss = loss + self.config.anchor * (weight - initial).pow(2).sum(dim=1).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
        self.weight, self.bias = weight.detach(), bias.detach()
        self.taught = []
        return losses

    def teach(self, label: str, examples: Sequence[Image.Image | str | Path] | np.ndarray) -> None:
        """Add a class from a few examples (photos, or their features), or add examples to a
        known class. Only that class's row is trained; every other row stays as it was."""
        label = " ".join(str(label).split())
        if not label:
            raise ValueError("A taught class needs a name.")
        x = self._features_of(examples)
        if self.prototypes.numel() and x.shape[1] != self.prototypes.shape[1]:
            raise ValueError(
                f"These features have {x.shape[1]} dimensions; the head was trained on "
                f"{self.prototypes.shape[1]}."
            )
        if label in self.classes:
            i = self.classes.index(label)
            total = self.counts[i] + len(x)
            self.prototypes[i] = (self.prototypes[i] * self.counts[i] + x.sum(dim=0)) / total
            self.counts[i] = total
        else:
            i = len(self.classes)
            self.classes.append(label)
            if self.prototypes.numel() == 0:
                self.prototypes = torch.zeros((0, x.shape[1]))
                self.weight = torch.zeros((0, x.shape[1]))
            self.prototypes = torch.cat([self.prototypes, x.mean(dim=0, keepdim=True)])
            self.counts = torch.cat([self.counts, torch.tensor([len(x)])])
            start = self._initial_rows(self.prototypes[i : i + 1], [label])
            self.weight = torch.cat([self.weight, start])
            self.bias = torch.cat(
                [self.bias, self.bias.mean().reshape(1) if len(self.bias) else torch.zeros(1)]
            )
        if label not in self.taught:
            self.taught.append(label)
        self._fit_row(i, x)

    def _fit_row(self, i: int, positives: torch.Tensor) -> None:
        """Fine-tune row i on its examples against the other classes' prototypes (one stand-in
        example per class), pulled towards its own prototype."""
        anchor = self._initial_rows(self.prototypes[i : i + 1], [self.classes[i]])[0]
        others = [j for j in range(len(self.classes)) if j != i]
        x = torch.cat([positives, _normalise(self.prototypes[others])])
        y = torch.tensor([i] * len(positives) + others)
        row = self.weight[i].clone().requires_grad_(True)
        row_bias = self.bias[i].clone().requires_grad_(True)
        optimizer = torch.optim.Adam([row, row_bias], lr=self.config.lr)
        for _ in range(self.config.teach_steps if others else 0):
            weight = torch.cat([self.weight[:i], row[None], self.weight[i + 1 :]])
            bias = torch.cat([self.bias[:i], row_bias[None], self.bias[i + 1 :]])
            loss = F.cross_entropy(self._logits(x, weight, bias), y)
            loss = loss + self.config.anchor * (row - anchor).pow(2).sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        self.weight[i], self.bias[i] = row.detach(), row_bias.detach()

    def _features_of(self, examples: Sequence[Any] | np.ndarray) -> torch.Tensor:
        if isinstance(examples, (np.ndarray, torch.Tensor)):
            x = _as_features(examples)
        else:
            examples = list(examples)
            if not examples:
                raise ValueError("Teaching a class needs at least one example photo.")
            if self.encoder is None:
                raise ValueError(
                    "This few-shot head has no encoder, so it can only be taught "
                    "from features; load it with its encoder to teach from photos."
                )
            # A chat photo has no metadata: its image embedding is its whole description.
            x = _as_features(self.encoder.encode_images(examples))
        if len(x) == 0:
            raise ValueError("Teaching a class needs at least one example photo.")
        return x

    # -- prediction -------------------------------------------------------------------------

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if not self.classes:
            raise ValueError("The few-shot head knows no classes yet.")
        with torch.no_grad():
            return self._logits(_as_features(features), self.weight, self.bias).softmax(1).numpy()

    def predict(self, features: np.ndarray, top_k: int = 3) -> list[list[tuple[str, float]]]:
        """Per feature row: the top_k (label, probability) pairs, most likely first."""
        probs = self.probabilities(features)
        order = np.argsort(-probs, axis=1, kind="stable")[:, : max(1, top_k)]
        return [
            [(self.classes[j], float(p[j])) for j in row]
            for p, row in zip(probs, order, strict=True)
        ]

    def predict_images(
        self, images: Sequence[Image.Image | str | Path], top_k: int = 3
    ) -> list[list[tuple[str, float]]]:
        if self.encoder is None:
            raise ValueError("This few-shot head has no encoder to look at photos with.")
        return self.predict(self.encoder.encode_images(list(images)), top_k)

    # -- persistence ------------------------------------------------------------------------

    def save(self, path: Path) -> Path:
        return save_checkpoint(
            {
                "kind": FEWSHOT_KIND,
                "encoder_fingerprint": self.encoder_fingerprint,
                "classes": list(self.classes),
                "taught": list(self.taught),
                "weight": self.weight,
                "bias": self.bias,
                "prototypes": self.prototypes,
                "counts": self.counts,
                "config": self.config.model_dump(),
            },
            Path(path),
        )

    @classmethod
    def load(cls, path: Path, encoder: Encoder | None = None) -> FewShotHead:
        """Read a saved head; with an encoder, refuse one trained on another encoder."""
        path = Path(path)
        payload = read_checkpoint(path, FEWSHOT_KIND, HOW_TO_MAKE)
        if encoder is not None:
            check_encoder(payload, encoder.fingerprint, FEWSHOT_KIND, path, HOW_TO_MAKE)
        head = cls(encoder, read_config(payload, FewShotConfig, FEWSHOT_KIND, path, HOW_TO_MAKE))
        head.encoder_fingerprint = payload["encoder_fingerprint"]
        head.classes = [str(c) for c in payload["classes"]]
        head.taught = [str(c) for c in payload["taught"]]
        head.weight, head.bias = payload["weight"].float(), payload["bias"].float()
        head.prototypes, head.counts = payload["prototypes"].float(), payload["counts"].long()
        return head


class NearestClassMean:
    """The baseline: a class is the mean of its examples; the nearest mean (cosine) wins."""

    def __init__(self) -> None:
        self.classes: list[str] = []
        self.means = torch.zeros((0, 0))

    def fit(self, features: np.ndarray, labels: Sequence[str]) -> NearestClassMean:
        x, labels = _as_features(features), np.asarray([str(v) for v in labels], dtype=object)
        self.classes = sorted(set(labels))
        self.means = torch.stack(
            [x[torch.as_tensor(labels == c)].mean(dim=0) for c in self.classes]
        )
        return self

    def add(self, label: str, features: np.ndarray) -> None:
        self.classes.append(label)
        self.means = torch.cat([self.means, _as_features(features).mean(dim=0, keepdim=True)])

    def scores(self, features: np.ndarray) -> np.ndarray:
        return (_as_features(features) @ _normalise(self.means).T).numpy()

    def predict(self, features: np.ndarray) -> list[str]:
        return [self.classes[j] for j in self.scores(features).argmax(axis=1)]


# --- training and the k-shot evaluation ------------------------------------------------------


def choose_held_out(
    train_types: Sequence[str], test_types: Sequence[str], n: int, min_train: int, seed: int
) -> list[str]:
    """Article types kept out of the base training: a seeded draw among the types that have
    enough training examples for the largest k and at least one test item ("Other" is a
    catch-all, not a class one could teach)."""
    values, counts = np.unique(np.asarray(train_types, dtype=str), return_counts=True)
    train_counts = dict(zip(values.tolist(), counts.tolist(), strict=True))
    in_test = set(map(str, test_types))
    candidates = sorted(
        t for t, c in train_counts.items() if c >= min_train and t in in_test and t != OTHER
    )
    # Keep enough base classes for the base head to be a real classifier.
    n = min(n, max(0, len(candidates) - 2), max(0, len(train_counts) - 2))
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(candidates, size=n, replace=False).tolist()) if n > 0 else []


def _accuracy(predicted: Sequence[str], truth: Sequence[str]) -> float:
    return float(np.mean(np.asarray(predicted, dtype=object) == np.asarray(truth, dtype=object)))


def evaluate_kshot(
    base_features: np.ndarray,
    base_labels: Sequence[str],
    pool_features: np.ndarray,
    pool_labels: Sequence[str],
    queries: dict[str, np.ndarray],
    query_labels: Sequence[str],
    held_out: Sequence[str],
    encoder: Encoder | None,
    config: FewShotConfig,
    progress: bool = True,
) -> tuple[dict[str, Any], list[float]]:
    """k-shot accuracy of the head and of nearest-class-mean on held-out classes.

    Both start from the base classes; each draw teaches every held-out class from k examples
    of `pool_*` (held-out types' training items), then classifies the held-out types' test
    items among ALL classes (base + new: a new class must beat the familiar ones too). The
    "among new" figures restrict the choice to the held-out classes (classic N-way k-shot).
    `queries` maps a name ("fused", "image") to the query features.
    """
    base_head = FewShotHead(encoder, config)
    base_losses = base_head.fit(base_features, base_labels, progress=progress)
    base_ncm = NearestClassMean().fit(base_features, base_labels)
    truth = list(query_labels)
    rng = np.random.default_rng(config.seed)
    results: dict[str, dict[int, list[float]]] = {}

    def record(name: str, k: int, value: float) -> None:
        results.setdefault(name, {}).setdefault(k, []).append(value)

    episodes = [(k, d) for k in config.shots for d in range(config.draws)]
    for k, _draw in tqdm(episodes, desc="k-shot episodes", unit="episode", disable=not progress):
        support = draw_support(pool_labels, held_out, k, rng)
        support_labels = np.asarray(pool_labels, dtype=object)[support]
        head, ncm = copy.deepcopy(base_head), copy.deepcopy(base_ncm)
        for cls in held_out:
            rows = support[support_labels == cls]
            head.teach(cls, pool_features[rows])
            ncm.add(cls, pool_features[rows])
        new_head = [head.classes.index(c) for c in held_out]
        new_ncm = [ncm.classes.index(c) for c in held_out]
        for query_name, features in queries.items():
            probs = head.probabilities(features)
            scores = ncm.scores(features)
            record(
                f"head/{query_name}",
                k,
                _accuracy([head.classes[j] for j in probs.argmax(1)], truth),
            )
            record(
                f"ncm/{query_name}", k, _accuracy([ncm.classes[j] for j in scores.argmax(1)], truth)
            )
            record(
                f"head/{query_name}/among-new",
                k,
                _accuracy([held_out[j] for j in probs[:, new_head].argmax(1)], truth),
            )
            record(
                f"ncm/{query_name}/among-new",
                k,
                _accuracy([held_out[j] for j in scores[:, new_ncm].argmax(1)], truth),
            )
    return summarise_draws(results), base_losses


def evaluate_fewshot(
    catalog: Catalog,
    settings: StyleSettings | None = None,
    *,
    quick: bool = False,
    progress: bool = True,
    embeddings: Any = None,
    **options: Any,
) -> dict[str, Any]:
    """The k-shot evaluation on held-out article types (head vs nearest class mean); writes
    reports_dir/fewshot.json, fewshot-kshot.png and fewshot-loss.png (base training loss)."""
    settings = settings or get_settings()
    config = _config(quick, options)
    encoder = get_encoder(settings)
    if embeddings is None:
        embeddings = embed_catalog(catalog, encoder, progress=progress, settings=settings)
    started = time.perf_counter()
    train_rows = embeddings.rows(catalog.train["id"].to_numpy())
    test_rows = embeddings.rows(catalog.test["id"].to_numpy())
    train_types = catalog.labels("articleType", "train").astype(str).to_numpy()
    test_types = catalog.labels("articleType", "test").astype(str).to_numpy()
    held_out = choose_held_out(
        train_types, test_types, config.holdout_types, max(config.shots), config.seed
    )
    evaluation: dict[str, Any] = {}
    base_losses: list[float] = []
    if held_out:
        is_new_train = np.isin(train_types, held_out)
        is_new_test = np.isin(test_types, held_out)
        fused, image = embeddings.fused, embeddings.image
        evaluation, base_losses = evaluate_kshot(
            fused[train_rows[~is_new_train]],
            train_types[~is_new_train],
            fused[train_rows[is_new_train]],
            train_types[is_new_train],
            {"fused": fused[test_rows[is_new_test]], "image": image[test_rows[is_new_test]]},
            test_types[is_new_test],
            held_out,
            encoder,
            config,
            progress,
        )
    report = {
        "model": "fewshot",
        "held_out_types": held_out,
        "k_shot_accuracy": evaluation,
        "protocol": "base head trained on the other article types' training items; each draw "
        "teaches the held-out types from k training items each, then classifies the "
        'held-out types\' test items among all classes ("among-new": among the '
        "held-out ones only); 'fused' = catalog features (image + name), 'image' = "
        "photo only, as in chat",
        "config": config.model_dump(),
        "encoder": encoder.spec,
        "encoder_fingerprint": encoder.fingerprint,
        "eval_seconds": time.perf_counter() - started,
    }
    if base_losses:
        report["loss_per_step"] = {"base types": base_losses}
    if not held_out:
        report["note"] = (
            "No article type has enough training examples to be held out "
            f"(at least {max(config.shots)} are needed); no k-shot figures."
        )
    _write_report(report, settings)
    return report


def _config(quick: bool, options: dict[str, Any]) -> FewShotConfig:
    if quick:
        options = {"draws": 2, "epochs": 100, **options}
    return FewShotConfig.from_options(**options)


def _write_report(report: dict[str, Any], settings: StyleSettings) -> None:
    reports = settings.reports_dir
    files = {"json": reports / f"{REPORT_NAME}.json"}
    evaluation = report.get("k_shot_accuracy") or {}
    if evaluation:
        curves = {
            "few-shot head": {k: v["mean"] for k, v in evaluation["head/fused"].items()},
            "nearest class mean": {k: v["mean"] for k, v in evaluation["ncm/fused"].items()},
            "few-shot head, photo only": {
                k: v["mean"] for k, v in evaluation["head/image"].items()
            },
        }
        files["kshot_plot"] = reporting.plot_curves(
            curves,
            reports / f"{REPORT_NAME}-kshot.png",
            f"k-shot accuracy on {len(report['held_out_types'])} held-out article types",
            "k (examples per class)",
            "accuracy (among all classes)",
        )
    series = report.get("loss_per_step") or {}
    if series:
        files["loss_plot"] = reporting.plot_loss_curves(
            series, reports / f"{REPORT_NAME}-loss.png", "few-shot head: loss per step"
        )
    report["files"] = {k: str(v) for k, v in files.items()}
    reporting.write_json(report, files["json"])


def train_fewshot(
    catalog: Catalog,
    settings: StyleSettings | None = None,
    *,
    quick: bool = False,
    progress: bool = True,
    **options: Any,
) -> dict[str, Any]:
    """Evaluate the head k-shot on held-out article types, then train it on ALL types (the
    training split) and write models_dir/fewshot.pt + the report (see evaluate_fewshot)."""
    settings = settings or get_settings()
    config = _config(quick, options)
    encoder = get_encoder(settings)
    embeddings = embed_catalog(catalog, encoder, progress=progress, settings=settings)
    train_types = catalog.labels("articleType", "train").astype(str).to_numpy()
    test_types = catalog.labels("articleType", "test").astype(str).to_numpy()
    if len(set(train_types)) < 2:
        raise ValueError("The few-shot head needs a catalog with at least two article types.")
    report = evaluate_fewshot(
        catalog, settings, progress=progress, embeddings=embeddings, **config.model_dump()
    )

    started = time.perf_counter()
    train_rows = embeddings.rows(catalog.train["id"].to_numpy())
    test_rows = embeddings.rows(catalog.test["id"].to_numpy())
    head = FewShotHead(encoder, config)
    losses = head.fit(embeddings.fused[train_rows], train_types, progress=progress)
    path = head.save(InstallLayout.of(settings).fewshot_path)
    report["fit_seconds"] = time.perf_counter() - started
    report["checkpoint"] = str(path)
    report["classes"] = len(head.classes)
    report["test_accuracy_all_types"] = {
        name: _accuracy([p[0][0] for p in head.predict(features[test_rows], 1)], test_types)
        for name, features in (("fused", embeddings.fused), ("image", embeddings.image))
    }
    report["loss_per_step"] = {"all types": losses, **report.get("loss_per_step", {})}
    _write_report(report, settings)
    return report


def load_fewshot_head(
    settings: StyleSettings | None = None, encoder: Encoder | None = None
) -> FewShotHead:
    """fewshot.pt for the configured encoder (ModelMissing with a sentence otherwise)."""
    settings = settings or get_settings()
    path = InstallLayout.of(settings).fewshot_path
    read_checkpoint(path, FEWSHOT_KIND, HOW_TO_MAKE)  # fail before loading an encoder
    return FewShotHead.load(path, encoder=encoder or get_encoder(settings))
