"""The one latency summary every benchmark and the API's /metrics report."""

from __future__ import annotations

import pytest

from stylist.latency import latency_summary


def test_latency_summary_is_in_milliseconds_with_interpolated_percentiles():
    summary = latency_summary([0.001 * i for i in range(1, 101)])  # 1 ms .. 100 ms
    assert summary["n"] == 100
    assert summary["p50_ms"] == pytest.approx(50.5)
    assert summary["p95_ms"] == pytest.approx(95.05)
    assert summary["p99_ms"] == pytest.approx(99.01)
    assert summary["mean_ms"] == pytest.approx(50.5)


def test_latency_summary_of_nothing_is_zeros_not_an_error():
    assert latency_summary([]) == {
        "p50_ms": 0.0,
        "p95_ms": 0.0,
        "p99_ms": 0.0,
        "mean_ms": 0.0,
        "n": 0,
    }
