"""Per-turn cost of the offline stylist's reading of a message: p50 / p95 ms of
`Understander.understand(utterance)` over the understanding-table utterances, against the bare
MiniLM encode of the same sentence measured in the same run (interleaved), with 1 torch thread
and with torch's default. The text cache is cleared before every timed call, so each figure is
a new sentence; `cached_p50_ms` is the same sentence asked again. Prints one JSON object.

    python bench/bench_understanding.py            # 3 rounds over the table
    python bench/bench_understanding.py --rounds 1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "language"))

from conftest import demo_known_values  # noqa: E402
from test_understanding_table import CASES  # noqa: E402

from stylist.language.sentence_encoder import get_sentence_encoder  # noqa: E402
from stylist.language.understanding import Understander  # noqa: E402


def _ms(samples: list[float]) -> dict[str, float]:
    arr = np.asarray(samples) * 1000
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p95_ms": round(float(np.percentile(arr, 95)), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    default_threads = torch.get_num_threads()
    started = time.perf_counter()
    encoder = get_sentence_encoder()
    loaded = time.perf_counter()
    understander = Understander(demo_known_values(), encoder=encoder)
    ready = time.perf_counter()
    utterances = [c.text for c in CASES]
    for text in utterances[:10]:  # warm-up: first calls allocate
        understander.understand(text)

    result: dict[str, object] = {
        "utterances": len(utterances),
        "rounds": args.rounds,
        "cores": os.cpu_count(),
        "load_encoder_s": round(loaded - started, 2),
        "build_understander_s": round(ready - loaded, 2),
        "intent_examples": len(understander.matcher.examples),
        "intent_leave_one_out": vars(understander.matcher.calibration),
    }
    for label, threads in (
        ("threads_1", 1),
        (f"threads_default_{default_threads}", default_threads),
    ):
        encoder.num_threads = threads
        bare: list[float] = []
        full: list[float] = []
        cached: list[float] = []
        for _ in range(args.rounds):
            for text in utterances:
                torch.set_num_threads(threads)
                t0 = time.perf_counter()
                encoder.model.encode(
                    [text],
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                )
                bare.append(time.perf_counter() - t0)
                encoder.clear_cache()
                t0 = time.perf_counter()
                understander.understand(text)
                full.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                understander.understand(text)
                cached.append(time.perf_counter() - t0)
        torch.set_num_threads(default_threads)
        entry = {
            "understand": _ms(full),
            "bare_encode_one_sentence": _ms(bare),
            "cached_p50_ms": _ms(cached)["p50_ms"],
        }
        entry["added_p50_ms"] = round(
            entry["understand"]["p50_ms"] - entry["bare_encode_one_sentence"]["p50_ms"], 2
        )
        result[label] = entry
    encoder.num_threads = 1
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
