"""The parts of `stylist eval-real` that need no training: presets and budgets, stage keys and
resume decisions (with stand-in stages), the page's wording, and clear sentences for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from realeval_world import quick_settings
from typer.testing import CliRunner

from stylist.realeval import stages
from stylist.realeval.budget import STAGES, PresetError, fit_to_budget, load_preset
from stylist.realeval.report import f1_verdict, render, shortfalls
from stylist.realeval.runner import RealEvalError, run_real_eval

# --- presets and budgets ----------------------------------------------------------------------


def test_real_preset_fits_its_budget_and_keeps_its_epochs_at_60_minutes():
    preset = load_preset("real")
    assert preset.expected_total <= preset.budget_minutes == 60
    assert fit_to_budget(preset, 60) is preset
    assert preset.options("cnn")["epochs"] >= 1 and "_comment" not in preset.options("cnn")


def test_real_preset_is_the_pretrained_run_the_cli_trains():
    """The cnn stage reuses the checkpoint of `stylist train cnn --backbone efficientnet_lite0
    --pretrained --colour-features --no-class-weights` only if the preset's options make the very
    same config."""
    from stylist.catalog.schema import ATTRIBUTES
    from stylist.models.cnn import CNNConfig, with_recipe

    preset = load_preset("real")
    assert preset.encoder == "packaged:lite0-minilm"
    # What the CLI's options become (stylist/models/commands.py, its defaults for the rest).
    cli = {
        "colour_features": True,
        "routing": {"efficientnet_lite0": list(ATTRIBUTES)},
        "class_weighted": False,
        "augment": True,
        "pretrained": True,
    }
    ours = CNNConfig.from_options(**with_recipe(preset.options("cnn")))
    assert ours == CNNConfig.from_options(**with_recipe(cli))
    assert (ours.epochs, ours.height, ours.batch_size, ours.head_lr) == (4, 128, 96, 3e-3)
    assert ours.colour_features and ours.pretrained


def test_a_smaller_budget_trains_fewer_epochs_and_says_so():
    preset = load_preset("real")
    fitted = fit_to_budget(preset, 40)
    assert fitted.options("cnn")["epochs"] < preset.options("cnn")["epochs"]
    assert fitted.options("encoder")["epochs"] <= preset.options("encoder")["epochs"]
    assert fitted.expected_total <= 40
    assert any("instead of" in note for note in fitted.notes)
    tiny = fit_to_budget(preset, 5)
    assert tiny.options("cnn")["epochs"] == 1
    assert any("more than the 5 budgeted" in note for note in tiny.notes)


def test_unknown_or_broken_presets_are_sentences(tmp_path):
    with pytest.raises(PresetError, match='no preset "fast".*real'):
        load_preset("fast")
    broken = tmp_path / "mine.json"
    broken.write_text("{not json")
    with pytest.raises(PresetError, match="not valid JSON"):
        load_preset(str(broken))


# --- orchestration with stand-in stages ---------------------------------------------------------


@pytest.fixture
def stub_stages(monkeypatch):
    """Every stage replaced by one that records its call: tests the orchestration alone."""
    calls: list[str] = []
    for name in STAGES:

        def run(ctx, name=name):
            calls.append(name)
            return {}

        monkeypatch.setitem(stages.RUNNERS, name, run)
    return calls


def _catalog(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    (folder / "images").mkdir(parents=True)
    (folder / "styles.csv").write_text("id,gender\n")
    return folder


def _preset_file(tmp_path: Path, cnn_epochs: int) -> str:
    data = json.loads(Path(stages.__file__).with_name("presets").joinpath("quick.json").read_text())
    data["cnn"]["epochs"] = cnn_epochs
    path = tmp_path / f"preset-{cnn_epochs}.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_changed_options_redo_that_stage_and_what_reads_it_only(tmp_path, stub_stages):
    catalog = _catalog(tmp_path)
    common = dict(
        data_dir=tmp_path / "data",
        docs_dir=tmp_path / "docs",
        settings=quick_settings(),
        progress=False,
        log=lambda _msg: None,
    )
    run_real_eval(catalog, preset=_preset_file(tmp_path, 2), **common)
    assert stub_stages == list(STAGES)

    stub_stages.clear()
    run_real_eval(catalog, preset=_preset_file(tmp_path, 2), **common)
    assert stub_stages == []

    run_real_eval(catalog, preset=_preset_file(tmp_path, 3), **common)
    assert stub_stages == ["cnn", "bench"]  # the bench times the CNN; nothing else reads it

    stub_stages.clear()
    run_real_eval(catalog, preset=_preset_file(tmp_path, 3), redo=("index",), **common)
    assert stub_stages == ["index", "search"]  # a rebuilt index is searched again


def test_the_page_is_written_even_when_stages_report_nothing(tmp_path, stub_stages):
    run_real_eval(
        _catalog(tmp_path),
        data_dir=tmp_path / "data",
        docs_dir=tmp_path / "docs",
        preset="quick",
        settings=quick_settings(),
        progress=False,
        log=lambda _msg: None,
    )
    page = (tmp_path / "docs" / "evaluation.md").read_text()
    assert "## Gaps" in page and "## Attribute tagging: weighted F1" in page


def test_a_damaged_state_file_means_a_fresh_run_not_a_crash(tmp_path, stub_stages):
    state = tmp_path / "data" / "realeval" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text("{half a file")
    run_real_eval(
        _catalog(tmp_path),
        data_dir=tmp_path / "data",
        docs_dir=tmp_path / "docs",
        preset="quick",
        settings=quick_settings(),
        progress=False,
        log=lambda _msg: None,
    )
    assert stub_stages == list(STAGES)
    assert json.loads(state.read_text())["stages"]["bench"]["status"] == "done"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "nowhere", "There is no catalog folder"),
        (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", "has no styles.csv"),
    ],
)
def test_a_folder_that_is_not_a_catalog_is_a_sentence(tmp_path, make, message):
    with pytest.raises(RealEvalError, match=message):
        run_real_eval(make(tmp_path), data_dir=tmp_path / "data", docs_dir=tmp_path / "docs")


def test_cli_bad_input_exits_2_with_a_sentence(tmp_path):
    from stylist.cli import app

    runner = CliRunner()
    catalog = _catalog(tmp_path)
    cases = [
        (["--catalog", str(tmp_path / "nowhere")], "There is no catalog folder"),
        (["--catalog", str(catalog), "--kagl-gt", str(tmp_path)], "no ground_truth_*.json"),
        (["--catalog", str(catalog), "--preset", "fast"], 'There is no preset "fast"'),
        (["--catalog", str(catalog), "--redo", "cnnn"], "cnnn is not a stage"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["eval-real", *args, "--data-dir", str(tmp_path / "d")])
        assert result.exit_code == 2, args
        assert message in result.output
        assert "Traceback" not in result.output


# --- the page's wording -----------------------------------------------------------------------


def test_shortfalls_are_named_with_their_size_worst_first():
    f1 = {
        "gender": 0.95,
        "masterCategory": 0.99,
        "subCategory": 0.95,
        "articleType": 0.83,
        "baseColour": 0.64,
        "season": 0.72,
        "usage": 0.89,
    }
    f1["average"] = sum(f1.values()) / 7
    assert [a for a, _ in shortfalls(f1)] == ["baseColour", "season"]
    text = f1_verdict("CNN", f1)
    assert "meeting the 0.82 bar" in text
    assert "falls short by 0.210 on baseColour (0.640 vs 0.85); by 0.090 on season" in text
    low = {a: 0.5 for a in f1}
    assert "falling short of the 0.82 bar by 0.320" in f1_verdict("CNN", low)


def test_the_page_quotes_how_many_kagl_queries_remain():
    state = {
        "run": {"preset": "real", "budget_minutes": 60, "expected_minutes": {}},
        "stages": {
            "search": {
                "status": "done",
                "metrics": {
                    "items": 34525,
                    "kagl_gt": {
                        "text-image": {
                            "queries_in_file": 2000,
                            "queries_kept": 310,
                            "dropped_no_item_in_catalog": 466,
                            "dropped_relevant_in_training_split": 1224,
                            "R@1": 0.05,
                            "R@10": 0.2,
                            "MRR": 0.1,
                        }
                    },
                },
            }
        },
    }
    page = render(state, images=set())
    assert "310 remain, searched against the whole catalog (34,525 photos)" in page
    assert "0.289 below Marqo-FashionSigLIP's 0.489" in page
    assert "Only 310 KAGL text → image queries" in page


def _small_state(gallery: int, load: float) -> dict:
    """A run whose figures are all distinct, so each one can be found on the page."""
    f1 = {
        "gender": 0.931,
        "masterCategory": 0.987,
        "subCategory": 0.902,
        "articleType": 0.777,
        "baseColour": 0.612,
        "season": 0.704,
        "usage": 0.853,
    }
    f1["average"] = sum(f1.values()) / 7
    attributes = {
        a: {
            "classes": 9,
            "classes_kept": 6,
            "merged_into_other": 3,
            "other_items": 11,
            "majority": f"Top{a}",
            "majority_share_test": 0.43,
        }
        for a in f1
        if a != "average"
    }
    return {
        "run": {
            "preset": "real",
            "catalog_dir": "/data/fashion-small",
            "split_seed": 7,
            "budget_minutes": 60,
            "expected_minutes": {"cnn": 20},
            "machine": {"cpu_count": 2, "torch_threads": 1},
            "min_class_count": 50,
        },
        "stages": {
            "ingest": {
                "status": "done",
                "seconds": 12.0,
                "metrics": {
                    "rows_read": 4321,
                    "items": 4300,
                    "split": {"train": 3440, "test": 860},
                    "min_class_count": 50,
                    "attributes": attributes,
                },
            },
            "cnn": {"status": "done", "seconds": 1234.0, "metrics": {"weighted_f1": f1}},
            "search": {
                "status": "done",
                "metrics": {
                    "items": gallery,
                    "names": {"image": {"exact": {"R@1": 0.0412, "R@10": 0.1876, "MRR": 0.09}}},
                },
            },
            "bench": {"status": "done", "metrics": {"load_average": [load, load, load]}},
        },
    }


def test_the_template_renders_the_runs_figures_into_the_page():
    page = render(_small_state(gallery=4300, load=3.5), images=set())
    assert page.startswith("# Evaluation on a real catalog")
    assert "`fashion-small` — 4,300 items (3,440 for training,\n860 held out" in page
    assert "stratified on article type, seed 7)" in page
    assert "| gender | 0.92 | 0.92 | 0.931 | +0.011 |" in page  # the F1 table
    assert "falls short by 0.238 on baseColour (0.612 vs 0.85)" in page  # the verdict
    # Each shortfall stands beside the catalog's figures for it, with no canned cause.
    assert "- **baseColour** (−0.238): 6 classes scored; TopbaseColour alone is 43%" in page
    assert "- **season** (−0.106): 6 classes scored" in page
    assert "| cnn | 20.6 min | 20.0 min |" in page  # 1234 s taken, 20 min expected
    assert "Our R@10 on held-out names is 0.188: 0.301 below Marqo-FashionSigLIP's" in page
    # Conditional sentences appear only when the figures they cite say so.
    assert "Our gallery holds 4,300 photos against the published 44,434" in page
    assert "load average during the benchmark was 3.5 (on 2 cores): more work than" in page


def test_the_page_names_the_runs_folders_by_placeholders_not_machine_paths():
    state = _small_state(gallery=4300, load=3.5)
    state["run"].update(data_dir="/home/someone/.stylist-real", kagl_gt="/srv/marqo/kagl-gt")
    state["stages"]["bench"]["metrics"].update(taggers={"cnn": {"skipped": "no checkpoint"}})
    page = render(state, images=set())
    for path in ("/data/fashion-small", "/home/someone", "/srv/marqo"):
        assert path not in page
    assert (
        "stylist eval-real --catalog CATALOG_DIR --data-dir DATA_DIR --kagl-gt KAGL_GT_DIR" in page
    )
    assert "from DATA_DIR/realeval/state.json" in page
    assert "`bench/bench_tagging.py --data-dir DATA_DIR`" in page
    assert "`KAGL_GT_DIR` the folder of Marqo's ground_truth_*.json files" in page
    calm = render(_small_state(gallery=50_000, load=0.4), images=set())
    assert "Our gallery holds" not in calm
    assert "was 0.4 (on 2 cores)." in calm and "upper bounds" not in calm
    assert "{{" not in page and "}}" not in page


def test_stage_times_count_the_training_of_a_reused_model():
    # A finished CNN found in the data dir is only evaluated (100 s); the page must still say
    # it took an hour to train, and that the whole run is over the 60-minute budget.
    from stylist.realeval.report import time_section

    done = {"status": "done", "attempts": 1}
    state = {
        "run": {"budget_minutes": 60, "machine": {"cpu_count": 2, "torch_threads": 2}},
        "stages": {
            "cnn": {
                **done,
                "seconds": 100,
                "metrics": {"reused_checkpoint": True, "train_seconds": 3600},
            },
            "heads": {**done, "seconds": 45, "metrics": {"train_seconds": 42}},
        },
    }
    summary, table = time_section(state)
    assert "its training took 60.0 min earlier" in table
    assert "the whole run is 62.4 min, over the 60-minute budget" in summary
    assert table.count("earlier") == 1  # heads trained in this run: no note
    # A kept packaged encoder: its run was the tower features and then the projections.
    state["stages"]["encoder"] = {
        **done,
        "seconds": 0,
        "metrics": {"reused": True, "train_seconds": 35, "tower_feature_seconds": 445},
    }
    summary, table = time_section(state)
    assert "its training took 8.0 min earlier" in table
