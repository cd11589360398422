"""A bounded loopback load on the HTTP API: throughput, p50 / p99, errors and the server's RSS.

The API runs in a child process (uvicorn, 127.0.0.1 only, a free port); N client threads send a
fixed number of requests and stop. Phases, each in this one run:

1. `/v1/tag`, 8 concurrent clients, one forward pass per request (micro-batching off), then the
   same with micro-batching on (a second server process, `STYLIST_API_BATCH_WINDOW_MS`);
2. `/v1/search` text queries one at a time: cold (words never seen: the query-text cache
   misses) and warm (the same words again: it hits);
3. mixed: tag, text search, filtered search with exclusions, item lookups — 2,000 requests
   from 16 clients; 0 errors expected, RSS sampled every 0.1 s, growth after warm-up reported.

Prints one JSON object.

    python bench/bench_load.py                  # builds a quick demo world in a temp dir
    python bench/bench_load.py --data-dir DIR   # an installation that is already built
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_turn import prepare  # noqa: E402

from stylist.latency import latency_summary  # noqa: E402

HOST = "127.0.0.1"  # loopback only, always
# How long a server may take to load its models and index (a busy machine needs longer).
START_TIMEOUT_S = float(os.environ.get("BENCH_START_TIMEOUT_S", "180"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """`uvicorn stylist.api:create_app` in a child process, with its RSS sampled."""

    def __init__(self, data_dir: Path, batch_window_ms: float, wait_for: str = "/ready") -> None:
        self.wait_for = wait_for
        self.port = free_port()
        env = dict(os.environ)
        env.update(
            STYLIST_DATA_DIR=str(data_dir),
            STYLIST_API_BATCH_WINDOW_MS=str(batch_window_ms),
            STYLIST_API_RATE_PER_MINUTE="1e9",
            STYLIST_API_RATE_BURST="1000000",
            HF_HUB_OFFLINE="1",
            TOKENIZERS_PARALLELISM="false",
            ANONYMIZED_TELEMETRY="False",
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "stylist.api:create_app",
                "--factory",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        self.base_url = f"http://{HOST}:{self.port}"
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the API server exited while starting")
            try:
                if httpx.get(f"{self.base_url}{self.wait_for}", timeout=60).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise RuntimeError(f"the API server did not become ready in {START_TIMEOUT_S:.0f} s")
        self._sampler.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self.process.terminate()
        self.process.wait(timeout=30)

    def _sample(self) -> None:
        process = psutil.Process(self.process.pid)
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), process.memory_info().rss))
            except psutil.Error:
                return
            time.sleep(0.1)

    def rss_mb(self) -> float:
        return psutil.Process(self.process.pid).memory_info().rss / 2**20


def run_load(base_url: str, requests: list, clients: int) -> dict:
    """Send every request (method, path, kwargs) with `clients` threads; latencies and errors."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    local = threading.local()

    def send(request) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base_url, timeout=120)
        method, path, kwargs = request
        started = time.perf_counter()
        try:
            response = client.request(method, path, **kwargs)
            failed = None if response.status_code < 400 else f"{response.status_code} {path}"
        except httpx.HTTPError as err:
            failed = f"{type(err).__name__} {path}"
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if failed:
                errors.append(failed)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, requests))
    wall = time.perf_counter() - started
    summary = latency_summary(latencies)
    return {
        "requests": len(requests),
        "clients": clients,
        "seconds": round(wall, 3),
        "throughput_rps": round(len(requests) / wall, 2),
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
    }


def tag_request(photo: bytes):
    return ("POST", "/v1/tag", {"files": {"photo": ("p.jpg", photo, "image/jpeg")}})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--tag-requests", type=int, default=240)
    parser.add_argument("--tag-clients", type=int, default=8)
    parser.add_argument("--search-queries", type=int, default=60)
    parser.add_argument("--mixed-requests", type=int, default=2000)
    parser.add_argument("--mixed-clients", type=int, default=16)
    parser.add_argument(
        "--batch-window-ms", type=float, default=None, help="default: the settings' own"
    )
    parser.add_argument("--skip-tag-comparison", action="store_true")
    parser.add_argument(
        "--rss-only",
        action="store_true",
        help="only the serving RSS under search and item requests (an index without a tagger)",
    )
    args = parser.parse_args()

    data_dir = prepare(args.data_dir)
    os.environ["STYLIST_DATA_DIR"] = str(data_dir)
    from stylist.settings import get_settings

    get_settings.cache_clear()
    if args.batch_window_ms is None:
        args.batch_window_ms = get_settings().api_batch_window_ms
    import pandas as pd

    from stylist.layout import InstallLayout

    items = pd.read_csv(InstallLayout.of(get_settings()).items_path)
    rng = random.Random(0)
    photos = [Path(p).read_bytes() for p in items["image"].sample(64, random_state=0)]
    item_ids = items["id"].astype(int).tolist()
    colours = items["baseColour"].value_counts().index[:6].tolist()
    types = items["articleType"].value_counts().index[:12].tolist()
    # The encoder the server loads (STYLIST_ENCODER passes through to it, e.g.
    # packaged:lite0-minilm), so an RSS figure says what it was measured with.
    report: dict = {
        "data_dir": str(data_dir),
        "items": len(items),
        "encoder": get_settings().encoder,
    }
    if args.rss_only:
        # Tags too when the install has a tagger: the serving process then holds every model.
        tagging = InstallLayout.of(get_settings()).tagger_present()
        with Server(data_dir, 0, wait_for="/health") as server:
            before = server.rss_mb()
            queries = [f"{rng.choice(colours)} {rng.choice(types)}".lower() for _ in range(100)]
            load = [
                ("GET", "/v1/search", {"params": {"q": rng.choice(queries), "k": 10}})
                if i % 4
                else tag_request(photos[i % len(photos)])
                if tagging and i % 8 == 0
                else ("GET", f"/v1/items/{rng.choice(item_ids)}", {})
                for i in range(args.mixed_requests)
            ]
            report["with_tag_requests"] = tagging
            report["search_load"] = run_load(server.base_url, load, args.mixed_clients)
            report["rss_mb_idle"] = round(before, 1)
            report["serving_rss_mb_peak"] = round(max(r for _, r in server.samples) / 2**20, 1)
            report["target_serving_rss_mb"] = 2048
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return

    if not args.skip_tag_comparison:
        tags = [tag_request(photos[i % len(photos)]) for i in range(args.tag_requests)]
        with Server(data_dir, 0) as server:
            run_load(server.base_url, tags[:16], args.tag_clients)  # warm-up
            one_at_a_time = run_load(server.base_url, tags, args.tag_clients)
        with Server(data_dir, args.batch_window_ms) as server:
            run_load(server.base_url, tags[:16], args.tag_clients)
            batched = run_load(server.base_url, tags, args.tag_clients)
            batch_sizes = httpx.get(
                f"{server.base_url}/metrics", params={"format": "prometheus"}
            ).text
        count = total = 0.0
        for line in batch_sizes.splitlines():
            if line.startswith("stylist_tag_batch_size_count"):
                count = float(line.split()[-1])
            elif line.startswith("stylist_tag_batch_size_sum"):
                total = float(line.split()[-1])
        report["tag"] = {
            "one_at_a_time": one_at_a_time,
            "micro_batched": batched,
            "batch_window_ms": args.batch_window_ms,
            "mean_batch_size": round(total / count, 2) if count else None,
            "throughput_ratio": round(
                batched["throughput_rps"] / one_at_a_time["throughput_rps"], 3
            ),
            "target_throughput_ratio": 1.5,
            "photos": "catalog product photos (as a shop's backend would send)",
        }

    with Server(data_dir, args.batch_window_ms) as server:
        run_load(server.base_url, [("GET", "/v1/search", {"params": {"q": "warm up"}})], 1)
        words = [
            f"{rng.choice(colours)} {rng.choice(types)} look {n}".lower()
            for n in range(args.search_queries)
        ]
        searches = [("GET", "/v1/search", {"params": {"q": q, "k": 10}}) for q in words]
        cold = run_load(server.base_url, searches, 1)
        warm = run_load(server.base_url, searches, 1)
        report["search_text"] = {
            "cold": cold,
            "warm": warm,
            "warm_over_cold_p50": round(warm["p50_ms"] / max(cold["p50_ms"], 1e-9), 3),
            "target_warm_over_cold_p50": 0.6,
        }

        query_pool = [f"{rng.choice(colours)} {rng.choice(types)}".lower() for _ in range(100)]

        def mixed_request(i: int):
            pick = rng.random()
            if pick < 0.25:
                return tag_request(photos[i % len(photos)])
            if pick < 0.70:
                return ("GET", "/v1/search", {"params": {"q": rng.choice(query_pool)}})
            if pick < 0.85:
                body = {
                    "q": rng.choice(query_pool),
                    "filters": {"max_price": rng.choice([40, 80, 150])},
                    "exclude_baseColour": [rng.choice(colours)],
                    "k": 8,
                }
                return ("POST", "/v1/search", {"json": body})
            return ("GET", f"/v1/items/{rng.choice(item_ids)}", {})

        warm_up = args.mixed_requests // 10
        mixed = [mixed_request(i) for i in range(warm_up + args.mixed_requests)]
        run_load(server.base_url, mixed[:warm_up], args.mixed_clients)
        after_warm_up = server.rss_mb()
        started = time.monotonic()
        load = run_load(server.base_url, mixed[warm_up:], args.mixed_clients)
        ended = server.rss_mb()
        during = [rss / 2**20 for t, rss in server.samples if t >= started]
        report["mixed"] = {
            **load,
            "warm_up_requests": warm_up,
            "rss_mb_after_warm_up": round(after_warm_up, 1),
            "rss_mb_at_end": round(ended, 1),
            "rss_mb_peak": round(max(during, default=ended), 1),
            "rss_growth_after_warm_up": round(ended / after_warm_up - 1, 4),
            "target_rss_growth": 0.10,
        }
        report["serving_rss_mb_peak"] = round(max(r for _, r in server.samples) / 2**20, 1)

    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
