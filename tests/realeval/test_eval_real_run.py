"""`stylist eval-real` end to end on a generated catalog: every stage runs, the page has every
section and its plots, and a stopped run continues without redoing finished stages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from realeval_world import quick_settings

from stylist.realeval.budget import STAGES
from stylist.realeval.runner import run_real_eval

pytestmark = pytest.mark.slow

SECTIONS = (
    "## Targets",
    "## Which models each install uses",
    "## Time per stage",
    "## What the real catalog looks like",
    "## Attribute tagging: weighted F1",
    "## Label noise where a tagging bar is missed",
    "## Text to image search: Recall@k",
    "## Few-shot: new article types from k examples",
    "## Tagging latency and memory",
    "## Gaps",
)


def _state(data_dir: Path) -> dict:
    return json.loads((data_dir / "realeval" / "state.json").read_text())


def test_every_stage_finishes_with_its_time_and_results(real_run):
    state = _state(real_run.data_dir)
    for stage in STAGES:
        entry = state["stages"][stage]
        assert entry["status"] == "done", stage
        assert entry["seconds"] >= 0 and entry["metrics"], stage
    metrics = {s: state["stages"][s]["metrics"] for s in STAGES}
    assert metrics["ingest"]["items"] == 200
    assert set(metrics["cnn"]["weighted_f1"]) >= {"gender", "season", "average"}
    assert set(metrics["heads"]["weighted_f1"]) >= {"baseColour", "usage", "average"}
    assert metrics["fewshot"]["k_shot_accuracy"]["head/fused"]
    assert metrics["search"]["names"]["image"]["exact"]["queries"] > 0
    # The smoke preset runs the real run's models: the packaged encoder, the pretrained Lite0.
    assert metrics["encoder"]["model_name"] == "packaged:lite0-minilm"
    # What the report reads to tell a CNN-trunk encoder (and its few-shot caveat) apart.
    assert metrics["encoder"]["options"]["image_trunk"] == "imagenet"
    assert metrics["cnn"]["config"]["pretrained"] and metrics["cnn"]["config"]["colour_features"]
    assert metrics["cnn"]["top_confusions"]["season"]
    noise = metrics["labelnoise"]
    assert (
        noise["near_duplicate_photos"]["pairs"] >= 0
        and "season" in noise["same_name"]["attributes"]
    )
    for tagger in ("cnn", "heads", "combined"):
        bench = metrics["bench"]["taggers"][tagger]
        assert bench["tag_one_photo"]["p50_ms"] > 0 and bench["baseline"]["p50_ms"] > 0
        assert bench["params"] > 0


def test_kagl_queries_with_training_items_or_unknown_items_are_dropped(real_run):
    entry = _state(real_run.data_dir)["stages"]["search"]["metrics"]["kagl_gt"]["text-image"]
    assert entry["queries_in_file"] == 81
    assert entry["dropped_no_item_in_catalog"] == 1
    assert entry["dropped_relevant_in_training_split"] > 0
    assert entry["queries_kept"] == 81 - 1 - entry["dropped_relevant_in_training_split"]


def test_page_has_every_section_the_reference_and_marqo_figures(real_run):
    page = (real_run.docs_dir / "evaluation.md").read_text()
    for section in SECTIONS:
        assert section in page
    assert re.search(r"\| gender \| 0\.92 \| 0\.92 \| \d\.\d{3} \| [+-]\d\.\d{3} \|", page)
    # #13's targets with a computed verdict each (the smoke run's tiny models miss them).
    assert re.search(
        r"\| best tagger: average weighted F1 \| \d\.\d{3} \| ≥ 0\.89 \| \*\*miss\*\* \|", page
    )
    assert "from-scratch CNN (2026-12-01)" in page
    assert "CNN (efficientnet_lite0, ImageNet-pretrained)" in page
    assert "encoder `packaged:lite0-minilm`" in page
    assert "| **average** | 0.82 |" in page
    for name in ("Marqo-FashionSigLIP", "Marqo-FashionCLIP", "FashionCLIP 2.0"):
        assert name in page
    assert re.search(r"\d+ remain, searched against the whole catalog", page)
    assert "nearest class mean" in page and "1-shot" in page
    assert "falling short of the 0.82 bar" in page or "meeting the 0.82 bar" in page
    assert "$" not in page.replace("$ ", "")  # every template field was filled


def test_plots_are_copied_beside_the_page_and_every_link_resolves(real_run):
    page = (real_run.docs_dir / "evaluation.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page)
    assert {
        "evaluation/cnn-f1.png",
        "evaluation/heads-f1.png",
        "evaluation/fewshot-kshot.png",
        "evaluation/search-recall.png",
        "evaluation/encoder-loss.png",
    } <= set(links)
    for link in links:
        path = real_run.docs_dir / link
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", link


def test_a_stage_left_unfinished_is_the_only_one_run_again(real_run, tmp_path):
    run = real_run.copy(tmp_path)
    state_path = run.data_dir / "realeval" / "state.json"
    state = json.loads(state_path.read_text())
    state["stages"]["fewshot"]["status"] = "running"  # what a kill during that stage leaves
    state_path.write_text(json.dumps(state))
    cnn = run.data_dir / "models" / "attribute-cnn.pt"
    cnn_stamp = cnn.stat().st_mtime_ns

    log: list[str] = []
    run_real_eval(
        run.catalog_dir,
        data_dir=run.data_dir,
        kagl_gt=run.kagl_gt,
        preset="smoke",
        docs_dir=run.docs_dir,
        settings=quick_settings(),
        progress=False,
        log=log.append,
    )

    started = [line for line in log if ": starting" in line]
    assert len(started) == 1 and "fewshot" in started[0] and "interrupted" in started[0]
    skipped = [line for line in log if "already done" in line]
    assert len(skipped) == len(STAGES) - 1
    assert cnn.stat().st_mtime_ns == cnn_stamp
    after = _state(run.data_dir)["stages"]["fewshot"]
    assert after["status"] == "done" and after["attempts"] == 2
    assert (run.docs_dir / "evaluation.md").is_file()


def test_a_run_stopped_inside_a_stage_continues_from_that_stage(real_run, tmp_path, monkeypatch):
    from stylist.realeval import stages

    run = real_run.copy(tmp_path)

    def interrupted(ctx):
        raise KeyboardInterrupt

    monkeypatch.setitem(stages.RUNNERS, "heads", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_real_eval(
            run.catalog_dir,
            data_dir=run.data_dir,
            kagl_gt=run.kagl_gt,
            preset="smoke",
            docs_dir=run.docs_dir,
            settings=quick_settings(),
            progress=False,
            redo=("heads",),
            log=lambda _msg: None,
        )
    assert _state(run.data_dir)["stages"]["heads"]["status"] == "running"
    monkeypatch.undo()

    log: list[str] = []
    run_real_eval(
        run.catalog_dir,
        data_dir=run.data_dir,
        kagl_gt=run.kagl_gt,
        preset="smoke",
        docs_dir=run.docs_dir,
        settings=quick_settings(),
        progress=False,
        log=log.append,
    )
    started = [line.split(":")[0] for line in log if ": starting" in line]
    assert started == ["[4/9] heads", "[9/9] bench"]  # the bench times the retrained heads
    assert _state(run.data_dir)["stages"]["heads"]["status"] == "done"
