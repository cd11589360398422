"""`stylist eval search`: how well the index finds what people ask for.

Two protocols, both on the index's own embeddings (the mirror of the Chroma collections):
- names: each held-out item's productDisplayName as a text query over the whole catalog.
  Relevant = that item ("exact", the headline) or any item with the same name ("same name";
  names repeat, so exact recall understates). Searched against the image embeddings (Marqo's
  text → image protocol) and the fused product embeddings (what `search` uses).
- attribute values (Marqo's KAGL protocol): each attribute value as a text query ("Beige",
  "Casual Shoes") over the fused product embeddings normalize(0.9·image + 0.1·text); relevant =
  items with that value; P@1, P@10 and MRR.
Optionally Marqo's published ground truth (`--kagl-gt DIR`, files ground_truth_<task>.json:
{query: {item_id: 1}}): relevant ids not in the catalog are dropped, and for an encoder trained
here only queries whose relevant items all lie outside the training split are kept (the report
says how many remain).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stylist.models.encoder.packaged import is_packaged_spec
from stylist.models.ranking import (
    QUERY_BATCH,
    RECALL_AT,
    first_relevant_ranks,
    mean_reciprocal_rank,
    recall_metrics,
)
from stylist.models.reporting import plot_curves, write_json
from stylist.settings import StyleSettings, get_settings
from stylist.vectorstore.errors import SearchError
from stylist.vectorstore.search import get_index

# Marqo's KAGL task names -> our attribute columns.
KAGL_TASKS = {
    "category1": "masterCategory",
    "category2": "subCategory",
    "category3": "articleType",
    "baseColour": "baseColour",
    "season": "season",
    "usage": "usage",
}


def precision_at(
    queries: np.ndarray, gallery: np.ndarray, relevant_mask: Sequence[np.ndarray], k: int
) -> np.ndarray:
    """Share of relevant items among each query's top k (`relevant_mask[i]`: bool over rows)."""
    out = np.empty(len(queries))
    for start in range(0, len(queries), QUERY_BATCH):
        scores = queries[start : start + QUERY_BATCH] @ gallery.T
        kk = min(k, scores.shape[1])
        top = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        for j, rows in enumerate(top):
            out[start + j] = relevant_mask[start + j][rows].mean()
    return out


def evaluate_search(
    settings: StyleSettings | None = None,
    *,
    kagl_gt: Path | None = None,
    max_queries: int | None = None,
    progress: bool = True,
    index=None,
) -> dict:
    """Measure the index; writes search-eval.json + a recall PNG under reports_dir/search."""

    settings = settings or get_settings()
    index = index or get_index(settings)
    started = time.perf_counter()
    mirror = index.mirror()
    fused = mirror.fused
    image = index._image_matrix(mirror)
    catalog = index.catalog
    encoder = index.encoder
    items = catalog.items.set_index("id", drop=False).reindex(mirror.ids)
    results: dict = {"encoder": encoder.spec, "items": int(len(mirror.ids))}

    # --- held-out names -----------------------------------------------------------------
    test = catalog.test
    if max_queries is not None:
        test = test.sample(min(max_queries, len(test)), random_state=0)
    test = test[test["id"].isin(mirror.row_of)]
    names = items["productDisplayName"].fillna("").str.strip().str.lower().to_numpy()
    by_name: dict[str, list[int]] = {}
    for row, name in enumerate(names):
        by_name.setdefault(name, []).append(row)
    query_names = test["productDisplayName"].fillna("").tolist()
    if query_names:
        q = encoder.encode_texts(query_names)
        exact = [np.array([mirror.row_of[int(i)]]) for i in test["id"]]
        same = [np.array(by_name[n.strip().lower()]) for n in query_names]
        names_result = {}
        for gallery_name, gallery in (("image", image), ("fused", fused)):
            names_result[gallery_name] = {
                "exact": recall_metrics(
                    first_relevant_ranks(q, gallery, exact, progress, f"names→{gallery_name}")
                ),
                "same_name": recall_metrics(first_relevant_ranks(q, gallery, same)),
            }
        results["names"] = names_result

    # --- attribute values (KAGL protocol on this catalog) -----------------------------------
    attribute_result = {}
    for task, attribute in KAGL_TASKS.items():
        values = np.asarray(mirror.columns[attribute])
        labels = [v for v in catalog.known_values(attribute) if v]
        if not labels:
            continue
        relevant = [values == v for v in labels]
        attribute_result[task] = _attribute_metrics(encoder.encode_texts(labels), fused, relevant)
        attribute_result[task]["attribute"] = attribute
    results["attributes"] = attribute_result
    results["attributes_mean"] = _mean_of(attribute_result, ("P@1", "P@10", "MRR"))

    if kagl_gt is not None:
        results["kagl_gt"] = evaluate_ground_truth(
            Path(kagl_gt),
            index,
            mirror,
            image,
            fused,
            trained_here=_trained_here(settings, encoder),
        )
    results["seconds"] = round(time.perf_counter() - started, 1)

    out_dir = settings.reports_dir / "search"
    report = write_json(results, out_dir / "search-eval.json")
    if "names" in results:
        curves = {
            f"{gallery} {relevance}": {
                k: results["names"][gallery][relevance][f"R@{k}"] for k in RECALL_AT
            }
            for gallery in ("image", "fused")
            for relevance in ("exact", "same_name")
        }
        plot_curves(
            curves,
            out_dir / "search-recall.png",
            "Held-out names → catalog: Recall@k",
            "k",
            "recall",
        )
    return {"summary": _summary(results), "report": str(report), "results": results}


def _attribute_metrics(queries, gallery, relevant_masks) -> dict:
    keep = [i for i, m in enumerate(relevant_masks) if m.any()]
    queries = queries[keep]
    masks = [relevant_masks[i] for i in keep]
    ranks = first_relevant_ranks(queries, gallery, [np.flatnonzero(m) for m in masks])
    return {
        "P@1": float(precision_at(queries, gallery, masks, 1).mean()),
        "P@10": float(precision_at(queries, gallery, masks, 10).mean()),
        "MRR": mean_reciprocal_rank(ranks),
        "queries": len(keep),
    }


def _mean_of(per_task: dict, keys: Sequence[str]) -> dict[str, float]:
    if not per_task:
        return {}
    return {k: float(np.mean([t[k] for t in per_task.values() if k in t])) for k in keys}


def _trained_here(settings: StyleSettings, encoder) -> bool:
    """The demo encoder, a packaged one (its projections learn from the training split) and
    local checkpoints may have seen the training split's items."""
    spec = str(settings.encoder)
    return spec == "demo" or is_packaged_spec(spec) or Path(spec.split(":")[-1]).exists()


def load_ground_truth(directory: Path) -> dict[str, dict[str, list[int]]]:
    """task -> query -> relevant item ids, from Marqo's ground_truth_<task>.json files."""
    files = sorted(directory.glob("ground_truth_*.json"))
    if not files:
        raise SearchError(f"There are no ground_truth_*.json files in {directory}.")
    tasks = {}
    for path in files:
        task = path.stem.removeprefix("ground_truth_")
        data = json.loads(path.read_text())
        tasks[task] = {str(q): [int(i) for i in rel] for q, rel in data.items()}
    return tasks


def evaluate_ground_truth(
    directory: Path, index, mirror, image, fused, *, trained_here: bool
) -> dict:
    catalog = index.catalog
    train_ids = set(int(i) for i in catalog.train["id"]) if trained_here else set()
    out = {}
    for task, queries in load_ground_truth(directory).items():
        # text-image searches photos; the attribute tasks search product embeddings.
        gallery = image if task.endswith("text-image") else fused
        kept_queries, relevant = [], []
        dropped_not_in_catalog = dropped_training = 0
        for query, ids in queries.items():
            rows = [mirror.row_of[i] for i in ids if i in mirror.row_of]
            if not rows:
                dropped_not_in_catalog += 1
                continue
            if train_ids and any(i in train_ids for i in ids if i in mirror.row_of):
                dropped_training += 1
                continue
            kept_queries.append(query)
            relevant.append(np.array(rows))
        entry = {
            "queries_in_file": len(queries),
            "queries_kept": len(kept_queries),
            "dropped_no_item_in_catalog": dropped_not_in_catalog,
            "dropped_relevant_in_training_split": dropped_training,
            "gallery": "image" if gallery is image else "fused",
        }
        if kept_queries:
            q = index.encoder.encode_texts(kept_queries)
            ranks = first_relevant_ranks(q, gallery, relevant)
            if task.endswith("text-image"):
                entry.update(recall_metrics(ranks))
            else:
                masks = []
                for rows in relevant:
                    m = np.zeros(len(mirror.ids), bool)
                    m[rows] = True
                    masks.append(m)
                entry.update(
                    {
                        "P@1": float(precision_at(q, gallery, masks, 1).mean()),
                        "P@10": float(precision_at(q, gallery, masks, 10).mean()),
                        "MRR": mean_reciprocal_rank(ranks),
                    }
                )
        out[task] = entry
    return out


def _summary(results: dict) -> dict:
    summary = {"encoder": results["encoder"], "items": results["items"]}
    if "names" in results:
        summary["names_text_to_image_exact"] = results["names"]["image"]["exact"]
        summary["names_text_to_image_same_name"] = results["names"]["image"]["same_name"]
        summary["names_text_to_product_exact"] = results["names"]["fused"]["exact"]
    summary["attributes_mean"] = results["attributes_mean"]
    if "kagl_gt" in results:
        summary["kagl_gt"] = {
            t: {
                k: v
                for k, v in e.items()
                if k in ("R@1", "R@10", "MRR", "P@1", "P@10", "queries_kept")
            }
            for t, e in results["kagl_gt"].items()
        }
    return summary
