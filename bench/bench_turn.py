"""A photo turn against the cost of one encoder pass on that photo, in the same run.

A 12-megapixel phone-like JPEG is generated; each run takes a fresh variant of it (other bytes,
so no cache helps) through `StylistSession` with the offline stylist: upload → turn 1 (a bare
photo: tag + similar items) → turn 2 ("complete the outfit"). The baseline is the bare
`Encoder.encode_images([photo file], batch_size=1)` on the same variants (decode + one forward
pass), and, for reference, the same with a full-resolution decode (no JPEG draft mode).

Agent overhead of a turn = its wall time − tool time (tool_start → tool_end of each tool round,
as the session streams them) − model time (the offline stylist's `respond`). Prints one JSON
object.

    python bench/bench_turn.py                    # builds a quick demo world in a temp dir
    python bench/bench_turn.py --data-dir DIR     # an installation that is already built
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from stylist.latency import latency_summary  # noqa: E402


def phone_photo(width: int = 4000, height: int = 3000, seed: int = 0) -> Image.Image:
    """A garment-like shape on a soft background with sensor-like noise (compresses like a
    photo, not like flat colour or pure noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack(
        [200 - 40 * y / height, 190 - 30 * x / width, 180 + 20 * (x + y) / (width + height)], -1
    )
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    colour = tuple(int(c) for c in rng.integers(20, 200, 3))
    draw.rectangle([width * 0.3, height * 0.2, width * 0.7, height * 0.85], fill=colour)
    draw.polygon(
        [(width * 0.3, height * 0.2), (width * 0.15, height * 0.45), (width * 0.3, height * 0.5)],
        fill=colour,
    )
    noise = rng.normal(0, 6, (height // 4, width // 4, 3)).astype(np.float32)
    noisy = np.asarray(image, dtype=np.float32) + np.kron(noise, np.ones((4, 4, 1)))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def jpeg_variants(photo: Image.Image, n: int) -> list[bytes]:
    variants = []
    for i in range(n):
        copy = photo.copy()
        ImageDraw.Draw(copy).rectangle([i * 8, 0, i * 8 + 7, 7], fill=(i * 9 % 255, 0, 0))
        buffer = io.BytesIO()
        copy.save(buffer, "JPEG", quality=88)
        variants.append(buffer.getvalue())
    return variants


def prepare(data_dir: Path | None) -> Path:
    if data_dir is not None:
        return data_dir
    from stylist.pipeline import build_demo
    from stylist.settings import StyleSettings

    built = Path(tempfile.mkdtemp(prefix="bench-turn-"))
    os.environ["STYLIST_MIN_CLASS_COUNT"] = "8"
    settings = StyleSettings(data_dir=built, min_class_count=8)
    build_demo(settings, n=400, quick=True, progress=False, log=lambda _m: None)
    return built


class ModelClock:
    """Time spent in the offline stylist's `respond` (its "LLM time")."""

    def __init__(self) -> None:
        from stylist.agent.offline import OfflineStylist

        self.seconds = 0.0
        original = OfflineStylist.respond
        clock = self

        def timed(self, messages):
            started = time.perf_counter()
            try:
                return original(self, messages)
            finally:
                clock.seconds += time.perf_counter() - started

        OfflineStylist.respond = timed


async def timed_turn(session, text: str, photo_ids: list[str], model: ModelClock) -> dict:
    model.seconds = 0.0
    started = time.perf_counter()
    tool_seconds = 0.0
    round_started: float | None = None
    tools: list[str] = []
    error = None
    async for event in session.stream_turn(text, photo_ids):
        now = time.perf_counter()
        if event.kind == "tool_start":
            round_started = round_started or now
            tools.append(event.tool)
        elif event.kind == "tool_end" and round_started is not None:
            tool_seconds += now - round_started
            round_started = now  # a second tool of the same round: count from here
        elif event.kind == "error":
            error = event.text
        if event.kind != "tool_start" and event.kind != "tool_end":
            round_started = None
    total = time.perf_counter() - started
    return {
        "total": total,
        "tools": tool_seconds,
        "model": model.seconds,
        "overhead": max(0.0, total - tool_seconds - model.seconds),
        "tool_names": tools,
        "error": error,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--megapixels", type=float, default=12.0)
    args = parser.parse_args()

    data_dir = prepare(args.data_dir)
    os.environ["STYLIST_DATA_DIR"] = str(data_dir)
    os.environ["STYLIST_LLM_PROVIDER"] = "offline"
    from stylist.agent import StylistSession
    from stylist.images import load_image
    from stylist.settings import get_settings
    from stylist.tools import services

    get_settings.cache_clear()
    width = int((args.megapixels * 1e6 * 4 / 3) ** 0.5)
    height = int(width * 3 / 4)
    photo = phone_photo(width, height)
    variants = jpeg_variants(photo, args.runs + 1)
    workdir = Path(tempfile.mkdtemp(prefix="bench-turn-photos-"))
    paths = []
    for i, data in enumerate(variants):
        path = workdir / f"photo-{i}.jpg"
        path.write_bytes(data)
        paths.append(path)

    encoder = services.encoder()
    services.tagger()
    model = ModelClock()

    async def run_all() -> dict:
        # Warm-up: models, index, graph, checkpointer (variant 0, not measured).
        warm = StylistSession()
        await timed_turn(warm, "", [warm.add_photo(variants[0])], model)
        await timed_turn(warm, "complete the outfit", [], model)
        encoder.encode_images([paths[0]], batch_size=1)

        bare, full_decode, uploads, turns, overheads, tool_s, model_s = [], [], [], [], [], [], []
        names: list[str] = []
        errors = []
        for i in range(1, args.runs + 1):
            started = time.perf_counter()
            encoder.encode_images([paths[i]], batch_size=1)
            bare.append(time.perf_counter() - started)

            started = time.perf_counter()
            encoder.encode_images([load_image(paths[i])], batch_size=1)
            full_decode.append(time.perf_counter() - started)

            session = StylistSession()
            started = time.perf_counter()
            photo_id = session.add_photo(variants[i])
            uploaded = time.perf_counter()
            first = await timed_turn(session, "", [photo_id], model)
            second = await timed_turn(session, "complete the outfit", [], model)
            turns.append(time.perf_counter() - started)
            uploads.append(uploaded - started)
            for turn in (first, second):
                overheads.append(turn["overhead"])
                tool_s.append(turn["tools"])
                model_s.append(turn["model"])
                if turn["error"]:
                    errors.append(turn["error"])
            names = first["tool_names"] + second["tool_names"]
        from stylist.agent import get_agent

        await get_agent().aclose()  # the checkpointer's SQLite thread, so the process can end
        return {
            "bare": bare,
            "full_decode": full_decode,
            "uploads": uploads,
            "turns": turns,
            "overheads": overheads,
            "tools": tool_s,
            "model": model_s,
            "tool_names": names,
            "errors": errors,
        }

    measured = asyncio.run(run_all())
    bare = latency_summary(measured["bare"])
    turn = latency_summary(measured["turns"])
    report = {
        "photo": {
            "width": width,
            "height": height,
            "jpeg_bytes": len(variants[1]),
        },
        "encoder": {
            "spec": encoder.spec,
            "input_hw": list(encoder.image_size),
            "params": encoder.n_params,
        },
        "runs": args.runs,
        "tools_called": measured["tool_names"],
        "bare_encode_images_batch1_ms": bare,
        "bare_encode_full_resolution_decode_ms": latency_summary(measured["full_decode"]),
        "photo_turn_ms": turn,
        "photo_turn_over_bare_p50": round(turn["p50_ms"] / max(bare["p50_ms"], 1e-9), 3),
        "target_photo_turn_over_bare_p50": 1.25,
        "upload_validate_store_ms": latency_summary(measured["uploads"]),
        "per_turn_tool_ms": latency_summary(measured["tools"]),
        "per_turn_model_ms": latency_summary(measured["model"]),
        "per_turn_agent_overhead_ms": latency_summary(measured["overheads"]),
        "target_agent_overhead_p50_ms": 50,
        "errors": measured["errors"],
        "data_dir": str(data_dir),
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
