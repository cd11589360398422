"""One summary of measured latencies, shared by every benchmark and the API's /metrics."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def latency_summary(seconds: Sequence[float]) -> dict[str, float | int]:
    """p50 / p95 / p99 / mean in milliseconds of durations given in seconds, and how many.

    Percentiles are numpy's linear interpolation between the closest ranks; no durations give
    zeros (a route nobody called yet, a benchmark with nothing to time).
    """
    values = np.asarray(seconds, dtype=np.float64) * 1000.0
    if values.size == 0:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "mean_ms": 0.0, "n": 0}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {
        "p50_ms": round(float(p50), 3),
        "p95_ms": round(float(p95), 3),
        "p99_ms": round(float(p99), 3),
        "mean_ms": round(float(values.mean()), 3),
        "n": int(values.size),
    }
