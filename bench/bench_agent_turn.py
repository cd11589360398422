"""Per-turn agent overhead: everything in a chat turn except tool compute and LLM latency.

Plays the multi-turn conversation scripts (tests/agent/conversation_scripts.py, the text turns) through
`StylistSession` with the offline stylist on a demo installation, and times per turn:
- `turn`: the whole turn (graph, checkpoint, state nodes, planning, composing, tools);
- `tools`: the tools' compute (catalog search, outfit completion, photo tagging), timed inside
  the tools' calls into the layers below;
- `understanding`: reading the message (`stylist.language.understand`, the sentence encoder's
  per-text cache cleared before every turn, so each message is read from scratch);
- `overhead` = turn − tools (the offline stylist has no LLM latency; its planning counts).
The same turns run again with understanding switched off (the rule-based planner), in the same
run, as the baseline: `understanding_adds_ms_p50` compares the two overheads.

    python bench/bench_agent_turn.py                    # builds a quick demo world in a temp dir
    python bench/bench_agent_turn.py --data-dir DIR     # an existing demo installation
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "agent")]


class Stopwatch:
    """Sums the wall time spent in wrapped functions (re-entrant calls count once), and the CPU
    time of the calling thread (the sentence encoder runs on one torch thread, in the caller's
    thread), which a machine shared with other jobs inflates far less than wall time."""

    def __init__(self) -> None:
        self.total = 0.0
        self.cpu = 0.0
        self._depth = 0

    def wrap(self, function):
        def timed(*args, **kwargs):
            self._depth += 1
            start, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.total += time.perf_counter() - start
                    self.cpu += time.thread_time() - cpu

        return timed


def instrument(tools: Stopwatch, understanding: Stopwatch, *, understand: bool) -> None:
    from stylist.agent import conversation
    from stylist.tools import catalog_tools, photo_tools, photos, search_backend

    search_backend.search = tools.wrap(search_backend.search)
    search_backend.outfit = tools.wrap(search_backend.outfit)
    catalog_tools.predict_tags = tools.wrap(catalog_tools.predict_tags)
    photo_tools.predict_tags = tools.wrap(photo_tools.predict_tags)
    catalog_tools.photo_embedding = tools.wrap(catalog_tools.photo_embedding)
    photos.photo_embedding = tools.wrap(photos.photo_embedding)
    read = conversation.read_message
    if understand:
        conversation.read_message = understanding.wrap(read)
    else:
        conversation.read_message = lambda text: (None, read("")[1])


async def play(rounds: int) -> dict[str, list[float]]:
    from conversation_scripts import SCRIPTS

    from stylist.agent import StylistSession
    from stylist.language import get_sentence_encoder

    times: dict[str, list[float]] = {
        "turn": [],
        "tools": [],
        "understanding": [],
        "understanding_cpu": [],
    }
    warm = StylistSession()  # loads the catalog, models, index and encoder once, untimed
    await warm.acollect_turn("red dresses for women")
    await warm.aclose()
    for _ in range(rounds):
        for script in SCRIPTS:
            session = StylistSession()
            for turn in script.turns:
                if turn.photo or not isinstance(turn.text, str) or not turn.text:
                    continue
                try:
                    get_sentence_encoder().clear_cache()
                except Exception:  # noqa: BLE001 - no encoder in the baseline run
                    pass
                TOOLS.total = UNDERSTANDING.total = UNDERSTANDING.cpu = 0.0
                start = time.perf_counter()
                result = await session.acollect_turn(turn.text)
                elapsed = time.perf_counter() - start
                if result.error:
                    raise SystemExit(f"turn failed: {turn.text!r}: {result.error}")
                times["turn"].append(elapsed)
                times["tools"].append(TOOLS.total)
                times["understanding"].append(UNDERSTANDING.total)
                times["understanding_cpu"].append(UNDERSTANDING.cpu)
            await session.aclose()
    return times


TOOLS = Stopwatch()
UNDERSTANDING = Stopwatch()


def measure(understand: bool, rounds: int) -> dict:
    from stylist.latency import latency_summary

    times = asyncio.run(play(rounds))
    overhead = [t - s for t, s in zip(times["turn"], times["tools"], strict=True)]
    out = {
        "turns": len(times["turn"]),
        "turn": latency_summary(times["turn"]),
        "tools": latency_summary(times["tools"]),
        "overhead": latency_summary(overhead),
    }
    if understand:
        out["understanding"] = latency_summary(times["understanding"])
        out["understanding_cpu"] = latency_summary(times["understanding_cpu"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="an installed demo world (else a quick one)")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the scripts")
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    data_dir = args.data_dir
    if data_dir is None:
        from stylist.pipeline import build_demo
        from stylist.settings import StyleSettings

        data_dir = Path(tempfile.mkdtemp(prefix="bench-agent-"))
        os.environ["STYLIST_MIN_CLASS_COUNT"] = "8"
        settings = StyleSettings(data_dir=data_dir, min_class_count=8)
        build_demo(settings, n=400, quick=True, progress=False, log=lambda _m: None)
    os.environ["STYLIST_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("STYLIST_MIN_CLASS_COUNT", "8")
    os.environ["STYLIST_LLM_PROVIDER"] = "offline"

    if args.baseline:  # a child process: the rule-based planner, no sentence encoder
        instrument(TOOLS, UNDERSTANDING, understand=False)
        print(json.dumps(measure(False, args.rounds)))
        return
    import subprocess

    baseline = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--baseline", "--data-dir", str(data_dir),
             "--rounds", str(args.rounds)],
            check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
    )  # fmt: skip
    instrument(TOOLS, UNDERSTANDING, understand=True)
    with_understanding = measure(True, args.rounds)
    report = {
        "cpu_count": os.cpu_count(),
        "with_understanding": with_understanding,
        "rule_based_baseline": baseline,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "understanding_p50_ms": with_understanding["understanding"]["p50_ms"],
        "understanding_cpu_p50_ms": with_understanding["understanding_cpu"]["p50_ms"],
        "understanding_adds_p50_ms": round(
            with_understanding["overhead"]["p50_ms"] - baseline["overhead"]["p50_ms"], 2
        ),
        "target_p50_ms": 15,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
