"""`stylist eval-real`: ingest a real catalog into its own data dir, train (or reuse) the models
the preset names, evaluate them, benchmark tagging, and write docs/evaluation.md.

Resumable at two levels. Stage level: data_dir/realeval/state.json records each finished stage
with its key, time and results, so a re-run skips it. Epoch level: the CNN and encoder
trainers keep their own resume checkpoints, so a stage stopped mid-training continues from its
last finished epoch. Finished models: a CNN or packaged encoder already trained in the data dir
with the same configuration on the same training items (e.g. by `stylist train cnn` with the
preset's options) is evaluated, not trained again.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stylist.realeval.budget import STAGES, depends_on, fit_to_budget, load_preset
from stylist.realeval.report import write_report
from stylist.realeval.stages import RUNNERS, RunContext, stage_inputs, timed
from stylist.realeval.state import RunState, stage_key
from stylist.settings import StyleSettings, get_settings

DEFAULT_DATA_DIR = Path(".stylist-real")
STATE_FILE = "state.json"


class RealEvalError(ValueError):
    """Bad input to the real evaluation; the message is a sentence for the operator."""


def check_catalog_dir(catalog_dir: Path) -> Path:
    """The folder must be in the Kaggle layout; say exactly what is missing otherwise."""
    catalog_dir = Path(catalog_dir).expanduser()
    if not catalog_dir.is_dir():
        raise RealEvalError(f"There is no catalog folder at {catalog_dir}.")
    if not (catalog_dir / "styles.csv").is_file():
        raise RealEvalError(
            f"{catalog_dir} has no styles.csv; give a folder in the Kaggle layout "
            "(styles.csv + images/<id>.jpg), e.g. the unzipped fashion-real.zip."
        )
    if not (catalog_dir / "images").is_dir():
        raise RealEvalError(f"{catalog_dir} has no images/ folder beside its styles.csv.")
    return catalog_dir.resolve()


def check_kagl_gt(kagl_gt: Path | None) -> Path | None:
    if kagl_gt is None:
        return None
    kagl_gt = Path(kagl_gt).expanduser()
    if not kagl_gt.is_dir() or not any(kagl_gt.glob("ground_truth_*.json")):
        raise RealEvalError(
            f"{kagl_gt} holds no ground_truth_*.json files; give the folder of Marqo's KAGL "
            "ground truth (e.g. shared/data/kagl-gt), or leave --kagl-gt out."
        )
    return kagl_gt.resolve()


def real_settings(
    data_dir: Path, base: StyleSettings | None = None, encoder: str = "demo"
) -> StyleSettings:
    """The user's settings with their own data dir and the preset's encoder (the packaged
    towers for the real preset): the demo installation in .stylist is never touched.
    The index is always the embedded Chroma in that data dir: on a configured Chroma server the
    run would replace the demo's collection (same name, another encoder)."""
    base = base or get_settings()
    update = {
        "data_dir": Path(data_dir).expanduser().resolve(),
        "encoder": encoder,
        "chroma_url": None,
    }
    return base.model_copy(update=update)


def run_real_eval(
    catalog_dir: Path,
    *,
    data_dir: Path = DEFAULT_DATA_DIR,
    kagl_gt: Path | None = None,
    budget_minutes: float | None = None,
    preset: str = "real",
    docs_dir: Path = Path("docs"),
    restart: bool = False,
    redo: tuple[str, ...] = (),
    settings: StyleSettings | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run (or continue) every stage, then write the report. Returns the state's data."""

    catalog_dir = check_catalog_dir(catalog_dir)
    kagl_gt = check_kagl_gt(kagl_gt)
    unknown = [s for s in redo if s not in STAGES]
    if unknown:
        raise RealEvalError(
            f"{', '.join(unknown)} is not a stage; the stages are {', '.join(STAGES)}."
        )
    run_preset = fit_to_budget(load_preset(preset), budget_minutes)
    settings = real_settings(data_dir, settings, run_preset.encoder)
    state_dir = settings.data_dir / "realeval"
    state_dir.mkdir(parents=True, exist_ok=True)
    state = RunState(state_dir / STATE_FILE) if restart else RunState.load(state_dir / STATE_FILE)
    for stage in redo:
        state.forget(stage)
    for note in run_preset.notes:
        log(note)

    ctx = RunContext(settings, catalog_dir, run_preset, kagl_gt, progress, log)
    state.run.update(_run_facts(ctx))
    state.save()
    keys: dict[str, str] = {}
    run_started = time.perf_counter()
    for number, stage in enumerate(STAGES, 1):
        needs = {d: state.result_token(d, keys[d]) for d in depends_on(stage, run_preset)}
        keys[stage] = stage_key(stage_inputs(ctx, stage), needs)
        label = f"[{number}/{len(STAGES)}] {stage}"
        if state.is_done(stage, keys[stage]):
            log(f"{label}: already done ({state.stages[stage]['seconds']:.0f} s), skipped")
            continue
        expected = run_preset.expected_minutes.get(stage, 0.0)
        again = " (continuing an interrupted run)" if state.was_interrupted(stage) else ""
        log(f"{label}: starting{again}, expected about {_minutes(expected)}")
        state.start(stage, keys[stage])
        metrics, seconds = timed(RUNNERS[stage], ctx)
        state.finish(stage, seconds, metrics)
        log(f"{label}: done in {seconds:.0f} s")
    state.run["last_run_seconds"] = round(time.perf_counter() - run_started, 1)
    state.run["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
    state.save()
    report = write_report(state.data, Path(docs_dir))
    log(f"Report: {report}")
    return state.data


def _minutes(value: float) -> str:
    return f"{value * 60:.0f} s" if value < 1 else f"{value:.0f} min"


def _run_facts(ctx: RunContext) -> dict[str, Any]:
    """What the report says about the machine and the run's configuration."""
    import os

    import torch

    return {
        "catalog_dir": str(ctx.catalog_dir),
        "data_dir": str(ctx.settings.data_dir),
        "kagl_gt": str(ctx.kagl_gt) if ctx.kagl_gt else None,
        "preset": ctx.preset.name,
        "encoder": ctx.settings.encoder,
        "budget_minutes": ctx.preset.budget_minutes,
        "expected_minutes": ctx.preset.expected_minutes,
        "budget_notes": ctx.preset.notes,
        "stage_options": {s: ctx.preset.options(s) for s in STAGES},
        "min_class_count": ctx.settings.min_class_count,
        "split_seed": ctx.settings.split_seed,
        "test_fraction": ctx.settings.test_fraction,
        "machine": {
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "gpu": torch.cuda.is_available(),
        },
    }
