"""The stages of a real-catalog evaluation, each a thin call into the trainer or evaluator that
`stylist ingest / train / index / eval` use (plus the catalog's own label-noise count),
returning the compact results the report needs.

Nothing here trains or measures anything itself: a figure in docs/evaluation.md is the same
figure `stylist eval ...` prints for that data dir.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stylist.catalog.schema import ATTRIBUTES, OTHER
from stylist.catalog.store import Catalog, ingest
from stylist.models.cnn import train_cnn
from stylist.models.embeddings import embed_catalog
from stylist.models.encoder import get_encoder, register_model_configs
from stylist.models.encoder.packaged import is_packaged_spec
from stylist.models.encoder_training import EncoderTrainOptions, train_encoder
from stylist.models.fewshot import train_fewshot
from stylist.models.heads import train_attribute_heads
from stylist.models.packaged_training import PackagedTrainOptions
from stylist.models.reporting import write_json
from stylist.realeval.budget import RunPreset
from stylist.realeval.label_noise import near_duplicate_disagreements, same_name_disagreements
from stylist.settings import StyleSettings
from stylist.vectorstore.errors import EncoderMismatch
from stylist.vectorstore.evaluation import evaluate_search
from stylist.vectorstore.index import build_index
from stylist.vectorstore.search import CatalogIndex

if TYPE_CHECKING:
    from stylist.catalog.store import Catalog

MODEL_CONFIGS = Path(__file__).with_name("model_configs")


class StageFailed(RuntimeError):
    """A stage could not finish for a reason the message states in one sentence."""


@dataclass
class RunContext:
    settings: StyleSettings
    catalog_dir: Path
    preset: RunPreset
    kagl_gt: Path | None = None
    progress: bool = True
    log: Callable[[str], None] = print
    _catalog: Any = field(default=None, repr=False)

    @property
    def styles_csv(self) -> Path:
        return self.catalog_dir / "styles.csv"

    @property
    def images_dir(self) -> Path:
        return self.catalog_dir / "images"

    def catalog(self) -> Catalog:
        """The ingested catalog, read once (after the ingest stage)."""
        if self._catalog is None:
            self._catalog = Catalog.load(self.settings)
        return self._catalog

    def forget_catalog(self) -> None:
        self._catalog = None


def stage_inputs(ctx: RunContext, stage: str) -> dict[str, Any]:
    """What a stage's result depends on besides earlier stages (hashed into its key)."""
    options = ctx.preset.options(stage)
    if stage != "bench":  # the benchmark is always "quick" in the same sense: it times models
        options["quick"] = ctx.preset.quick
    if stage == "ingest":
        stat = ctx.styles_csv.stat()
        options.update(
            styles=str(ctx.styles_csv.resolve()),
            styles_size=stat.st_size,
            styles_mtime=stat.st_mtime,
            split_seed=ctx.settings.split_seed,
            test_fraction=ctx.settings.test_fraction,
            min_class_count=ctx.settings.min_class_count,
        )
    if stage == "encoder":
        options["encoder_spec"] = ctx.preset.encoder
    if stage == "search":
        options["kagl_gt"] = str(ctx.kagl_gt.resolve()) if ctx.kagl_gt else None
    return options


# --- the stages --------------------------------------------------------------------------------


def run_ingest(ctx: RunContext) -> dict[str, Any]:

    report = ingest(ctx.styles_csv, ctx.images_dir, ctx.settings, progress=ctx.progress)
    ctx.forget_catalog()
    catalog = ctx.catalog()
    attributes = {}
    for attribute in ATTRIBUTES:
        raw = catalog.items[attribute].value_counts()
        clean = catalog.labels(attribute).value_counts()
        test = catalog.labels(attribute, "test").value_counts(normalize=True)
        attributes[attribute] = {
            "classes": int(len(raw)),
            "classes_kept": int(len(clean) - (OTHER in clean.index and OTHER not in raw.index)),
            "merged_into_other": int((raw < ctx.settings.min_class_count).sum()),
            "other_items": int(clean.get(OTHER, 0)),
            "majority": str(test.index[0]) if len(test) else "",
            "majority_share_test": round(float(test.iloc[0]), 3) if len(test) else 0.0,
        }
    return {
        "rows_read": report.rows_read,
        "items": len(catalog),
        "names_rejoined": report.names_rejoined,
        "skipped": dict(report.skipped),
        "split": catalog.items["split"].value_counts().to_dict(),
        "year_missing": int(catalog.items["year"].isna().sum()),
        "names_padded": _padded_names(ctx.styles_csv),
        "image_sizes": _image_sizes(catalog.items["image"].tolist(), ctx.progress),
        "min_class_count": ctx.settings.min_class_count,
        "attributes": attributes,
    }


def _padded_names(styles_csv: Path) -> int:
    """Names with leading / trailing spaces in the file (ingest strips them)."""
    with styles_csv.open(newline="", encoding="utf-8", errors="replace") as handle:
        rows = csv.reader(handle)
        next(rows, None)
        return sum(1 for r in rows if r and r[-1] != r[-1].strip())


def _image_sizes(paths: list[str], progress: bool) -> dict[str, int]:
    """Counts of photo sizes (width x height), read from the headers only."""
    from PIL import Image
    from tqdm import tqdm

    sizes: Counter = Counter()
    for path in tqdm(paths, desc="photo sizes", unit="img", disable=not progress, leave=False):
        with Image.open(path) as image:
            sizes[f"{image.width}x{image.height}"] += 1
    return dict(sizes.most_common())


def _files(report: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (report.get("files") or {}).items()}


def _classifier_metrics(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "weighted_f1": report["weighted_f1"],
        "accuracy": report["accuracy"],
        "test_items": report.get("test_items"),
        "classes": report.get("classes"),
        "top_confusions": report.get("top_confusions"),
        "files": _files(report),
    }


def run_cnn(ctx: RunContext) -> dict[str, Any]:

    report = train_cnn(
        ctx.catalog(),
        ctx.settings,
        quick=ctx.preset.quick,
        progress=ctx.progress,
        resume=True,
        log_fn=ctx.log,
        **ctx.preset.options("cnn"),
    )
    config = report.get("config", {})
    return {
        **_classifier_metrics(report),
        "reused_checkpoint": bool(report.get("reused_checkpoint")),
        "config": {
            k: config.get(k)
            for k in (
                "routing",
                "height",
                "width",
                "epochs",
                "batch_size",
                "lr",
                "loss",
                "label_smoothing",
                "pretrained",
                "colour_features",
                "class_weighted",
                "head_lr",
                "fit",
            )
        },
        "train_items": report.get("train_items"),
        "best_validation_f1": report.get("best_validation_f1"),
        "validation_f1_per_epoch": report.get("validation_average_f1_per_epoch"),
        "train_seconds": report.get("train_seconds"),
    }


def register_encoder_configs() -> None:
    """Make the real-run encoder configs (model_configs/*.json, data) known to open_clip."""
    import open_clip

    register_model_configs()
    if not set(p.stem for p in MODEL_CONFIGS.glob("*.json")) <= set(open_clip.list_models()):
        open_clip.add_model_config(MODEL_CONFIGS)


def run_encoder(ctx: RunContext) -> dict[str, Any]:
    """Train the run's encoder: the demo one from scratch, or a packaged one's projections (a
    finished packaged run of the same options on the same items is reused)."""
    if is_packaged_spec(ctx.settings.encoder):
        base = PackagedTrainOptions.quick() if ctx.preset.quick else PackagedTrainOptions()
    else:
        register_encoder_configs()
        base = EncoderTrainOptions.quick() if ctx.preset.quick else EncoderTrainOptions()
    options = base.updated(**ctx.preset.options("encoder"))
    results = train_encoder(
        ctx.catalog(), ctx.settings, progress=ctx.progress, options=options, resume=True
    )
    if results.get("reused"):
        ctx.log("  the packaged encoder in the data dir is a finished run of these options: kept")
    return {
        "reused": bool(results.get("reused")),
        "tower_feature_seconds": results.get("tower_feature_seconds"),
        "model_name": results.get("model_name"),
        "params": results.get("params"),
        "spec": results.get("spec"),
        "items": results.get("items"),
        "options": {
            k: v
            for k, v in (results.get("options") or {}).items()
            if k
            in (
                "epochs",
                "batch_size",
                "lr",
                "aux_weight",
                "field_caption_prob",
                "image_size",
                "image_trunk",
                "unfreeze_blocks",
            )
        },
        "before": results.get("before"),
        "after": results.get("after"),
        "train_seconds": results.get("train_seconds"),
        "resumed_from_epoch": results.get("resumed_from_epoch"),
        "files": {
            "loss_plot": results["reports"]["loss_png"],
            "recall_plot": results["reports"]["recall_png"],
        },
    }


def run_heads(ctx: RunContext) -> dict[str, Any]:

    report = train_attribute_heads(
        ctx.catalog(),
        ctx.settings,
        quick=ctx.preset.quick,
        progress=ctx.progress,
        **ctx.preset.options("heads"),
    )
    return {
        **_classifier_metrics(report),
        "embed_seconds": report.get("embed_seconds"),
        "train_seconds": report.get("train_seconds"),
    }


def run_fewshot(ctx: RunContext) -> dict[str, Any]:

    report = train_fewshot(
        ctx.catalog(),
        ctx.settings,
        quick=ctx.preset.quick,
        progress=ctx.progress,
        **ctx.preset.options("fewshot"),
    )
    return {
        "held_out_types": report.get("held_out_types"),
        "k_shot_accuracy": report.get("k_shot_accuracy"),
        "note": report.get("note"),
        "classes": report.get("classes"),
        "test_accuracy_all_types": report.get("test_accuracy_all_types"),
        "files": _files(report),
    }


def run_index(ctx: RunContext) -> dict[str, Any]:

    try:  # resumable: an interrupted build only embeds what is missing
        return build_index(ctx.settings, progress=ctx.progress, catalog=ctx.catalog())
    except EncoderMismatch:  # the encoder was retrained since: its old vectors are meaningless
        ctx.log("The index holds another encoder's vectors; rebuilding it.")
        return build_index(ctx.settings, rebuild=True, progress=ctx.progress, catalog=ctx.catalog())


def run_search(ctx: RunContext) -> dict[str, Any]:

    options = ctx.preset.options("search")
    # A private index object: the process-wide one may hold a mirror of an earlier build.
    index = CatalogIndex(ctx.settings, catalog=ctx.catalog())
    result = evaluate_search(
        ctx.settings,
        kagl_gt=ctx.kagl_gt,
        progress=ctx.progress,
        max_queries=options.get("max_queries"),
        index=index,
    )
    results = result["results"]
    plot = Path(result["report"]).with_name("search-recall.png")
    return {
        "items": results.get("items"),
        "names": results.get("names"),
        "attributes": results.get("attributes"),
        "attributes_mean": results.get("attributes_mean"),
        "kagl_gt": results.get("kagl_gt"),
        "files": {
            "json": result["report"],
            **({"recall_plot": str(plot)} if plot.is_file() else {}),
        },
    }


def run_labelnoise(ctx: RunContext) -> dict[str, Any]:
    """Disagreeing duplicates in the catalog (label_noise): same name, or near-identical photo
    embeddings from the run's encoder (the catalog embeddings the index stage used)."""
    options = ctx.preset.options("labelnoise")
    attributes = list(options.get("attributes") or ATTRIBUTES)
    examples = int(options.get("examples", 5))
    catalog = ctx.catalog()
    embeddings = embed_catalog(
        catalog, get_encoder(ctx.settings), ctx.progress, settings=ctx.settings
    )
    return {
        "same_name": same_name_disagreements(catalog.items, attributes, examples),
        "near_duplicate_photos": near_duplicate_disagreements(
            catalog.items,
            embeddings.image,
            attributes,
            min_cosine=float(options.get("min_cosine", 0.98)),
            examples=examples,
        ),
    }


def run_bench(ctx: RunContext) -> dict[str, Any]:
    """The tagging benchmark in a fresh process (see bench.main: memory figures need one)."""
    import json
    import subprocess
    import sys

    import torch

    options = ctx.preset.options("bench")
    command = [
        sys.executable,
        "-m",
        "stylist.realeval.bench",
        "--data-dir",
        str(ctx.settings.data_dir),
        "--photos",
        str(int(options.get("photos", 40))),
        "--repeats",
        str(int(options.get("repeats", 30))),
        "--threads",
        str(torch.get_num_threads()),
        "--encoder",
        ctx.settings.encoder,
    ]
    ctx.log("  " + " ".join(command[2:]))
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise StageFailed(f"The tagging benchmark failed: {last}")
    result = json.loads(done.stdout)
    path = write_json(result, ctx.settings.reports_dir / "realeval" / "bench-tagging.json")
    return {**result, "files": {"json": str(path)}}


RUNNERS: dict[str, Callable[[RunContext], dict[str, Any]]] = {
    "ingest": run_ingest,
    "cnn": run_cnn,
    "encoder": run_encoder,
    "heads": run_heads,
    "fewshot": run_fewshot,
    "index": run_index,
    "search": run_search,
    "labelnoise": run_labelnoise,
    "bench": run_bench,
}


def timed(
    run: Callable[[RunContext], dict[str, Any]], ctx: RunContext
) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    metrics = run(ctx)
    return metrics, time.perf_counter() - started
