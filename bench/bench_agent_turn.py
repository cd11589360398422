"""Per-turn agent overhead: everything in a chat turn except tool compute and LLM latency.

Plays the text turns of the multi-turn conversation scripts (tests/agent/conversation_scripts.py)
through `StylistSession` with the offline stylist on a demo installation, and times per turn:
- `turn`: the whole turn (graph, checkpoint, state nodes, planning, composing, tools);
- `tools`: the bodies of the tools the graph called (filters, search, outfit, tagging, cards),
  each tool function wrapped where the graph calls it;
- `understanding`: the read node's reading of the message (`conversation.read_message`: the
  catalog's words and `stylist.language.understand`), wall and CPU time; the sentence encoder's
  per-text cache is cleared before every turn, so each message is read from scratch;
- `minilm`: the part of `understanding` spent inside the MiniLM model call (wall and CPU), and
  how many texts it encoded (every turn must encode at least its own message, or the figure is not a reading);
- `overhead` = turn − tools (the offline stylist has no LLM latency; its planning counts).
The same turns run again with understanding switched off (the rule-based planner), in the same
run, as the baseline: `understanding_adds_p50_ms` compares the two overheads.

Each mode runs in its own child process started on the built installation, so no cache of the
build (or of the other mode) is measured. A child refuses to report when its turns did not do
the work the figures name (no catalog reached, no tool called, no message read).

    python bench/bench_agent_turn.py                    # builds a quick demo world in a temp dir
    python bench/bench_agent_turn.py --data-dir DIR     # an existing demo installation
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "agent")]

MODES = ("understanding", "rules")


class Stopwatch:
    """Sums the wall and CPU time spent in wrapped functions, per turn. Calls nested inside a
    wrapped call count once (depth per thread: tools run in a worker thread, the read node in
    another, the CPU clock is the calling thread's)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.cpu = 0.0
        self.calls = 0
        self._local = threading.local()
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.total = self.cpu = 0.0
            self.calls = 0

    def wrap(self, function):
        @functools.wraps(function)  # keeps the signature LangChain inspects on a tool's func
        def timed(*args, **kwargs):
            depth = getattr(self._local, "depth", 0)
            self._local.depth = depth + 1
            start, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self._local.depth = depth
                if depth == 0:
                    with self._lock:
                        self.total += time.perf_counter() - start
                        self.cpu += time.thread_time() - cpu
                        self.calls += 1

        return timed


TOOLS = Stopwatch()
UNDERSTANDING = Stopwatch()
MINILM = Stopwatch()


def instrument(mode: str) -> None:
    """Wrap the tool bodies, the read node's reading and the MiniLM call where they are called."""
    from stylist.agent import conversation
    from stylist.tools import ALL_TOOLS

    for tool in ALL_TOOLS:  # the graph is built from these objects; wrapped before it is built
        tool.func = TOOLS.wrap(tool.func)
    read = conversation.read_message  # read_node looks the name up on every turn
    if mode == "understanding":
        from stylist.language import get_sentence_encoder

        encoder = get_sentence_encoder()
        encoder.model.encode = MINILM.wrap(encoder.model.encode)
        conversation.read_message = UNDERSTANDING.wrap(read)
    else:  # the rule-based planner: the catalog's words only, no reading
        conversation.read_message = lambda text: (None, read("")[1])


def _encoder_misses() -> int:
    from stylist.language import get_sentence_encoder

    return get_sentence_encoder().misses


async def play(mode: str, rounds: int) -> dict[str, list[float]]:
    from conversation_scripts import SCRIPTS, state_of

    from stylist.agent import StylistSession
    from stylist.language import get_sentence_encoder

    understand = mode == "understanding"
    times: dict[str, list[float]] = {k: [] for k in ("turn", "tools", "tool_calls")}
    if understand:
        times.update(
            {k: [] for k in ("understanding", "understanding_cpu", "minilm", "minilm_cpu", "texts")}
        )
    warm = StylistSession()  # loads the catalog, models, index and encoder once, untimed
    await warm.acollect_turn("red dresses for women")
    await warm.aclose()
    for _ in range(rounds):
        for script in SCRIPTS:
            session = StylistSession()
            for turn in script.turns:
                if turn.photo or not isinstance(turn.text, str) or not turn.text:
                    continue  # photo turns time the photo's tagging; state-made texts need state
                misses = 0
                if understand:
                    get_sentence_encoder().clear_cache()
                    misses = _encoder_misses()
                for watch in (TOOLS, UNDERSTANDING, MINILM):
                    watch.reset()
                start = time.perf_counter()
                result = await session.acollect_turn(turn.text)
                elapsed = time.perf_counter() - start
                if result.error:
                    raise SystemExit(f"turn failed: {turn.text!r}: {result.error}")
                if len(result.tool_calls) != TOOLS.calls:
                    raise SystemExit(
                        f"{turn.text!r}: {len(result.tool_calls)} tool calls, {TOOLS.calls} timed"
                    )
                times["turn"].append(elapsed)
                times["tools"].append(TOOLS.total)
                times["tool_calls"].append(TOOLS.calls)
                if understand:
                    state = await state_of(session)
                    texts = _encoder_misses() - misses
                    if not state.get("understanding") or UNDERSTANDING.calls != 1 or not texts:
                        raise SystemExit(
                            f"{turn.text!r} was not read by meaning (understanding "
                            f"{bool(state.get('understanding'))}, {UNDERSTANDING.calls} readings, "
                            f"{texts} texts encoded)"
                        )
                    times["understanding"].append(UNDERSTANDING.total)
                    times["understanding_cpu"].append(UNDERSTANDING.cpu)
                    times["minilm"].append(MINILM.total)
                    times["minilm_cpu"].append(MINILM.cpu)
                    times["texts"].append(texts)
            await session.aclose()
    if not any(times["tool_calls"]):
        raise SystemExit(f"{mode}: no turn called a tool; the catalog was not reached")
    return times


def measure(mode: str, rounds: int) -> dict:
    from stylist.latency import latency_summary

    times = asyncio.run(play(mode, rounds))
    overhead = [t - s for t, s in zip(times["turn"], times["tools"], strict=True)]
    out = {
        "turns": len(times["turn"]),
        "turns_with_tools": sum(1 for n in times["tool_calls"] if n),
        "turn": latency_summary(times["turn"]),
        "tools": latency_summary(times["tools"]),
        "overhead": latency_summary(overhead),
    }
    if mode == "understanding":
        out["understanding"] = latency_summary(times["understanding"])
        out["understanding_cpu"] = latency_summary(times["understanding_cpu"])
        out["minilm"] = latency_summary(times["minilm"])
        out["minilm_cpu"] = latency_summary(times["minilm_cpu"])
        out["minilm_texts_per_turn_mean"] = round(sum(times["texts"]) / len(times["texts"]), 2)
    return out


def run_child(mode: str, data_dir: Path, rounds: int) -> dict:
    command = [sys.executable, __file__, "--mode", mode, "--data-dir", str(data_dir)]
    done = subprocess.run(
        [*command, "--rounds", str(rounds)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"the {mode} run failed:\n{done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="an installed demo world (else a quick one)")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the scripts")
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)  # a child process
    args = parser.parse_args()

    if args.mode:
        os.environ["STYLIST_DATA_DIR"] = str(args.data_dir)
        os.environ.setdefault("STYLIST_MIN_CLASS_COUNT", "8")
        os.environ["STYLIST_LLM_PROVIDER"] = "offline"
        instrument(args.mode)
        print(json.dumps(measure(args.mode, args.rounds)))
        return

    data_dir = args.data_dir
    if data_dir is None:
        from stylist.pipeline import build_demo
        from stylist.settings import StyleSettings

        data_dir = Path(tempfile.mkdtemp(prefix="bench-agent-"))
        settings = StyleSettings(data_dir=data_dir, min_class_count=8)
        build_demo(settings, n=400, quick=True, progress=False, log=lambda _m: None)
    baseline = run_child("rules", data_dir, args.rounds)
    measured = run_child("understanding", data_dir, args.rounds)
    report = {
        "cpu_count": os.cpu_count(),
        "data_dir": str(data_dir),
        "with_understanding": measured,
        "rule_based_baseline": baseline,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "understanding_p50_ms": measured["understanding"]["p50_ms"],
        "understanding_cpu_p50_ms": measured["understanding_cpu"]["p50_ms"],
        "minilm_p50_ms": measured["minilm"]["p50_ms"],
        "minilm_cpu_p50_ms": measured["minilm_cpu"]["p50_ms"],
        "tools_p50_ms": measured["tools"]["p50_ms"],
        "overhead_p50_ms": measured["overhead"]["p50_ms"],
        "understanding_adds_p50_ms": round(
            measured["overhead"]["p50_ms"] - baseline["overhead"]["p50_ms"], 2
        ),
        "target_understanding_p50_ms": 15,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
