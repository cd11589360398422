"""Request counts and latencies per route, and the time spent in models and the index.

Each app keeps its own prometheus_client `CollectorRegistry`, so two apps in one process (tests,
an app rebuilt after a reload) never share series.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder

from stylist.latency import latency_summary

# Micro-batches hold 1..api_batch_max photos.
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


class RequestMetrics:
    """Counts and latencies per (method, route template, status), for Prometheus and as JSON.

    The counter and histogram live in a registry of this app's own (not prometheus_client's
    global one), so two apps in one process — tests, or an app rebuilt after a reload — never
    share series. The JSON view's quantiles come from the last `window` requests of each route,
    so memory stays bounded however long the server runs.
    """

    def __init__(self, window: int = 1000) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "stylist_http_requests",
            "HTTP requests by method, route and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self._seconds = Histogram(
            "stylist_http_request_seconds",
            "Time spent answering, by method and route.",
            ("method", "route"),
            registry=self.registry,
        )
        self._operations = Histogram(
            "stylist_operation_seconds",
            "Time spent in the models and the index, by operation (tag, search, outfit, ...).",
            ("operation",),
            registry=self.registry,
        )
        self.batch_sizes = Histogram(
            "stylist_tag_batch_size",
            "Photos per encoder forward pass of the /v1/tag micro-batcher.",
            buckets=BATCH_SIZE_BUCKETS,
            registry=self.registry,
        )
        self._lock = threading.Lock()
        self._recent: dict[tuple[str, str], deque[float]] = defaultdict(
            lambda: deque(maxlen=window)
        )
        self.started = time.time()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self._requests.labels(method, route, str(status)).inc()
        self._seconds.labels(method, route).observe(seconds)
        with self._lock:
            self._recent[(method, route)].append(seconds)

    @contextmanager
    def timed(self, operation: str) -> Iterator[None]:
        """Times the model / index work of one request (also when it fails)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self._operations.labels(operation).observe(time.perf_counter() - started)

    def _samples(self, metric: Counter | Histogram, name: str) -> list[tuple[dict, float]]:
        return [
            (sample.labels, sample.value)
            for family in metric.collect()
            for sample in family.samples
            if sample.name == name
        ]

    def snapshot(self) -> dict[str, Any]:
        routes: dict[tuple[str, str], dict[str, Any]] = {}
        counts = self._samples(self._requests, "stylist_http_requests_total")
        for labels, n in sorted(counts, key=lambda s: (s[0]["method"], s[0]["route"])):
            method, route = labels["method"], labels["route"]
            entry = routes.setdefault(
                (method, route),
                {"method": method, "route": route, "count": 0, "by_status": {}},
            )
            entry["count"] += int(n)
            entry["by_status"][labels["status"]] = int(n)
        for labels, total in self._samples(self._seconds, "stylist_http_request_seconds_sum"):
            entry = routes.get((labels["method"], labels["route"]))
            if entry is not None:
                entry["seconds_total"] = round(total, 6)
        with self._lock:
            recent = {key: list(values) for key, values in self._recent.items()}
        for key, entry in routes.items():
            window = recent.get(key, [])
            summary = latency_summary(window)
            entry["latency_ms"] = {
                "p50": summary["p50_ms"],
                "p95": summary["p95_ms"],
                "max": round(max(window) * 1000, 3) if window else 0.0,
            }
        operations = {}
        for labels, total in self._samples(self._operations, "stylist_operation_seconds_sum"):
            operations[labels["operation"]] = {"seconds_total": round(total, 6)}
        for labels, n in self._samples(self._operations, "stylist_operation_seconds_count"):
            operations.setdefault(labels["operation"], {})["count"] = int(n)
        return {
            "uptime_s": round(time.time() - self.started, 3),
            "requests_total": sum(entry["count"] for entry in routes.values()),
            "routes": list(routes.values()),
            "operations": operations,
        }

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The Prometheus (or OpenMetrics, if asked for) text and its content type."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type
