"""Tagging latency and memory of the trained taggers, against bare backbones measured in the
same run (so a loaded machine slows both sides alike and the comparison still holds).

What a chat turn pays to tag one photo is `tagger.predict([photo])`: decoding the file,
resizing, the network, softmax and ranking. The baseline is the network's forward alone on a
ready tensor of the same size with random weights (compute does not depend on the weights):
the difference is what our code adds around the model.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psutil
import torch

from stylist.catalog.store import Catalog
from stylist.latency import latency_summary
from stylist.layout import InstallLayout
from stylist.models.cnn import build_backbone, load_cnn_tagger
from stylist.models.errors import EncoderUnavailable, ModelMissing, PretrainedUnavailable
from stylist.models.heads import load_heads_tagger
from stylist.settings import StyleSettings, get_settings


def _rss_mb() -> float:
    return psutil.Process(os.getpid()).memory_info().rss / 2**20


def _latency(call: Callable[[int], object], repeats: int, warmup: int = 2) -> dict[str, float]:
    """`latency_summary` (p50 / p95 / p99 / mean ms, n) of `call(i)` over `repeats` calls after a
    warm-up."""

    for i in range(warmup):
        call(i)
    seconds = []
    for i in range(repeats):
        started = time.perf_counter()
        call(i)
        seconds.append(time.perf_counter() - started)
    return latency_summary(seconds)


def _module_mb(*modules: torch.nn.Module) -> tuple[int, float]:
    params = sum(p.numel() for m in modules for p in m.parameters())
    size = sum(
        t.numel() * t.element_size() for m in modules for t in [*m.parameters(), *m.buffers()]
    )
    return int(params), round(size / 2**20, 2)


def _throughput(
    predict: Callable[[Sequence[Any]], object], photos: Sequence[Any], batch_size: int
) -> dict[str, float]:
    batch = [photos[i % len(photos)] for i in range(batch_size)]
    predict(batch[:2])
    started = time.perf_counter()
    predict(batch)
    seconds = time.perf_counter() - started
    return {
        "batch_size": batch_size,
        "ms_per_photo": round(seconds * 1000 / batch_size, 2),
        "photos_per_s": round(batch_size / seconds, 1),
    }


def _bench_cnn(
    settings: StyleSettings, photos: Sequence[Path], repeats: int, batch_size: int
) -> dict[str, Any]:

    path = InstallLayout.of(settings).cnn_path
    gc.collect()
    before = _rss_mb()
    tagger = load_cnn_tagger(path, settings)
    loaded = _rss_mb() - before
    params, megabytes = _module_mb(tagger.model)
    x = torch.rand(1, 3, tagger.height, tagger.width)
    # Baseline: one bare backbone of the kind the routing uses most, random weights, no heads.
    backbone_name = max(tagger.model.routing, key=lambda b: len(tagger.model.routing[b]))
    backbone, _ = build_backbone(backbone_name)
    backbone.eval()
    with torch.inference_mode():
        baseline = _latency(lambda _i: backbone(x), repeats)
    tagged = _latency(lambda i: tagger.predict([photos[i % len(photos)]]), repeats)
    return {
        "model": f"CNN ({' + '.join(tagger.model.routing)})",
        "input": [tagger.height, tagger.width],
        "params": params,
        "weights_mb": megabytes,
        "checkpoint_mb": round(path.stat().st_size / 2**20, 2),
        "rss_increase_on_load_mb": round(loaded, 1),
        "tag_one_photo": tagged,
        "baseline": {
            "what": f"bare {backbone_name} forward on one ready {tagger.height}x"
            f"{tagger.width} tensor (random weights)",
            **baseline,
        },
        "overhead_p50_ms": round(tagged["p50_ms"] - baseline["p50_ms"], 2),
        "batch": _throughput(tagger.predict, photos, batch_size),
    }


def _bench_heads(
    settings: StyleSettings, photos: Sequence[Path], repeats: int, batch_size: int
) -> dict[str, Any]:

    gc.collect()
    before = _rss_mb()
    tagger = load_heads_tagger(settings)
    loaded = _rss_mb() - before
    encoder = tagger.encoder
    params, megabytes = _module_mb(encoder.model, tagger.heads)
    image_params, image_mb = _module_mb(encoder.model.visual)
    heads_params, heads_mb = _module_mb(tagger.heads)
    height, width = encoder.image_size
    x = torch.rand(1, 3, height, width)
    with torch.inference_mode():
        baseline = _latency(lambda _i: encoder.model.encode_image(x), repeats)
    tagged = _latency(lambda i: tagger.predict([photos[i % len(photos)]]), repeats)
    vision = (encoder.model_cfg or {}).get("vision_cfg") or {}
    if vision.get("width"):
        arch = f"ViT {vision.get('layers')}x{vision.get('width')}"
    else:
        arch = encoder.spec if encoder.spec.startswith("packaged:") else encoder.model_name
    return {
        "model": f"encoder ({arch}) + attribute heads",
        "input": [height, width],
        "params": params,
        "weights_mb": megabytes,
        "image_tower_params": image_params,
        "image_tower_mb": image_mb,
        "heads_params": heads_params,
        "heads_mb": heads_mb,
        "rss_increase_on_load_mb": round(loaded, 1),
        "tag_one_photo": tagged,
        "baseline": {
            "what": f"bare image-tower forward on one ready {height}x{width} tensor",
            **baseline,
        },
        "overhead_p50_ms": round(tagged["p50_ms"] - baseline["p50_ms"], 2),
        "batch": _throughput(tagger.predict, photos, batch_size),
    }


def _bench_combined(
    settings: StyleSettings, photos: Sequence[Path], repeats: int, batch_size: int
) -> dict[str, Any]:
    """The real-photo tagger (packaged ImageNet Lite0 + the garment's colour) mixed with the
    catalog-trained CNN, as `STYLIST_REAL_PHOTO_TAGGER=on` serves it."""
    from stylist.models.combined_tagger import CombinedTagger
    from stylist.models.imagenet_tags import CatalogVocabulary, ImageNetTagger
    from stylist.models.taggers import PHOTO_RELIABILITY

    path = InstallLayout.of(settings).cnn_path
    gc.collect()
    before = _rss_mb()
    cnn = load_cnn_tagger(path, settings)
    vocabulary = CatalogVocabulary.from_items(Catalog.load(settings).items)
    tagger = CombinedTagger(cnn, ImageNetTagger(vocabulary), PHOTO_RELIABILITY)
    loaded = _rss_mb() - before
    network = tagger.photo.network.network
    params, megabytes = _module_mb(cnn.model, network)
    size = tagger.photo.network.preprocess.size
    x = torch.rand(1, 3, size, size)
    with torch.inference_mode():
        baseline = _latency(lambda _i: network(x), repeats)
    tagged = _latency(lambda i: tagger.predict([photos[i % len(photos)]]), repeats)
    return {
        "model": f"combined: CNN ({' + '.join(cnn.model.routing)}) + ImageNet Lite0 real-photo tagger",
        "input": [size, size],
        "params": params,
        "weights_mb": megabytes,
        "rss_increase_on_load_mb": round(loaded, 1),
        "tag_one_photo": tagged,
        "baseline": {
            "what": f"bare ImageNet Lite0 forward on one ready {size}x{size} tensor",
            **baseline,
        },
        "overhead_p50_ms": round(tagged["p50_ms"] - baseline["p50_ms"], 2),
        "batch": _throughput(tagger.predict, photos, batch_size),
    }


def bench_tagging(
    settings: StyleSettings,
    photos: Sequence[str | Path],
    *,
    repeats: int = 30,
    batch_size: int = 32,
) -> dict[str, Any]:
    """Latency per photo and memory of every trained tagger in `settings.models_dir`.

    A tagger whose checkpoint is missing is reported as skipped with the reason, so the bench
    also runs on a data dir where only one of them was trained.
    """

    photos = [Path(p) for p in photos]
    if not photos:
        raise ValueError("The tagging benchmark needs at least one photo.")
    result: dict[str, Any] = {
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "photos": len(photos),
        "repeats": repeats,
        "rss_start_mb": round(_rss_mb(), 1),
        "taggers": {},
    }
    for name, bench in (
        ("cnn", _bench_cnn),
        ("heads", _bench_heads),
        ("combined", _bench_combined),
    ):
        try:
            result["taggers"][name] = bench(settings, photos, repeats, batch_size)
        except (ModelMissing, EncoderUnavailable, PretrainedUnavailable) as err:
            result["taggers"][name] = {"skipped": str(err)}
    result["rss_end_mb"] = round(_rss_mb(), 1)
    return result


# --- command line (bench/bench_tagging.py and the eval-real bench stage run this) ---------------


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Benchmark the taggers of one data dir in this (fresh) process and print JSON.

    A fresh process matters for memory: in a process that has just trained the models, the
    allocator reuses freed memory and "RSS on load" would read as zero.
    """
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Tagging latency and memory (JSON).")
    parser.add_argument(
        "--data-dir",
        type=Path,
        required=True,
        help="A data dir with trained models (e.g. .stylist-real).",
    )
    parser.add_argument("--photos", type=int, default=40, help="Held-out photos to tag.")
    parser.add_argument("--repeats", type=int, default=30, help="Timed calls per tagger.")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads.")
    parser.add_argument(
        "--encoder", default="demo", help="The encoder spec the heads were trained on (demo)."
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    settings = get_settings().model_copy(
        update={"data_dir": args.data_dir.resolve(), "encoder": args.encoder}
    )
    photos = Catalog.load(settings).test["image"].tolist()[: max(1, args.photos)]
    torch.zeros(1).sum()  # torch's own lazy start-up is not the models' memory
    result = bench_tagging(settings, photos, repeats=max(1, args.repeats))
    result["data_dir"] = str(settings.data_dir)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
