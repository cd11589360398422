"""Why the image networks run in channels-last layout: the packaged EfficientNet-Lite0 at
Stylist's sizes, NCHW (PyTorch's default) against channels-last, in the same run.

Three workloads: one photo (a chat upload, `/v1/tag`), a batch of 128 (catalog indexing, the
encoder's tower features), and a training step of 96 (`stylist train cnn`). Prints one JSON
object with p50 per layout and the speed-up.

    python bench/bench_conv_layout.py [--size 128] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from stylist.latency import latency_summary  # noqa: E402
from stylist.models.pretrained import load_lite0  # noqa: E402


def timed(work: Callable[[], None], repeats: int) -> dict[str, float | int]:
    work()  # warm-up: oneDNN picks its kernels on the first call
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return latency_summary(seconds)


def workloads(layout: torch.memory_format, size: int) -> dict[str, Callable[[], None]]:
    network = load_lite0().to(memory_format=layout)
    one = torch.rand(1, 3, size, size).contiguous(memory_format=layout)
    many = torch.rand(128, 3, size, size).contiguous(memory_format=layout)
    batch = torch.rand(96, 3, size, size).contiguous(memory_format=layout)
    optimizer = torch.optim.AdamW(network.parameters(), lr=1e-5)

    def infer(x: torch.Tensor) -> Callable[[], None]:
        def run() -> None:
            network.eval()
            with torch.inference_mode():
                network(x)

        return run

    def train_step() -> None:
        network.train()
        optimizer.zero_grad(set_to_none=True)
        network(batch).logsumexp(dim=1).mean().backward()
        optimizer.step()

    return {"one_photo": infer(one), "batch_128": infer(many), "train_step_96": train_step}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="square input side in pixels")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    layouts = {"nchw": torch.contiguous_format, "channels_last": torch.channels_last}
    measured = {
        name: {
            work: timed(run, args.repeats * (8 if work == "one_photo" else 1))
            for work, run in workloads(layout, args.size).items()
        }
        for name, layout in layouts.items()
    }
    report = {
        "network": "tf_efficientnet_lite0 (packaged ImageNet weights)",
        "input_px": args.size,
        "threads": torch.get_num_threads(),
        **measured,
        "speedup_p50": {
            work: round(
                measured["nchw"][work]["p50_ms"] / measured["channels_last"][work]["p50_ms"], 3
            )
            for work in measured["nchw"]
        },
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
