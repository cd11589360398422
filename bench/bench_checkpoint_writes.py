"""Checkpoint writes per chat turn: how many times a turn writes the conversation's memory to
the SQLite checkpointer, and the time those writes take, over photo and text turns played
through `StylistSession` with the offline stylist; each thread is then reopened by a new
session to check that its state is all there. Prints one JSON object.

    python bench/bench_checkpoint_writes.py                 # builds a quick demo world
    python bench/bench_checkpoint_writes.py --data-dir DIR  # an installation that is built
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_turn import jpeg_variants, phone_photo, prepare  # noqa: E402

TURNS = (("", True), ("complete the outfit", False), ("cheaper ones", False))


class WriteCounter:
    """Counts and times the SQLite saver's checkpoint (`aput`) and pending-write calls."""

    def __init__(self) -> None:
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        self.calls = {"aput": 0, "aput_writes": 0}
        self.seconds = 0.0
        for name in self.calls:
            setattr(AsyncSqliteSaver, name, self._timed(name, getattr(AsyncSqliteSaver, name)))

    def _timed(self, name, original):
        counter = self

        async def timed(saver, *args, **kwargs):
            counter.calls[name] += 1
            started = time.perf_counter()
            try:
                return await original(saver, *args, **kwargs)
            finally:
                counter.seconds += time.perf_counter() - started

        return timed

    def reset(self) -> None:
        self.calls = dict.fromkeys(self.calls, 0)
        self.seconds = 0.0


async def play(threads: int, counter: WriteCounter) -> dict:
    from stylist.agent import StylistSession, get_agent
    from stylist.latency import latency_summary

    photos = jpeg_variants(phone_photo(1200, 900), threads)
    warm = StylistSession()
    await warm.acollect_turn("red dresses for women")
    turn_s, write_s, puts, writes = [], [], set(), set()
    for i in range(threads):
        session = StylistSession()
        for text, with_photo in TURNS:
            photo_ids = [session.add_photo(photos[i])] if with_photo else []
            counter.reset()
            started = time.perf_counter()
            result = await session.acollect_turn(text, photo_ids)
            turn_s.append(time.perf_counter() - started)
            if result.error:
                raise SystemExit(f"turn failed: {text!r}: {result.error}")
            puts.add(counter.calls["aput"])
            writes.add(counter.calls["aput_writes"])
            write_s.append(counter.seconds)
        reopened = StylistSession(thread_id=session.thread_id)
        if len(await reopened.aphoto_ids()) != 1:
            raise SystemExit("a reopened thread lost its photo")
    await get_agent().aclose()
    return {
        "turns": len(turn_s),
        "checkpoint_puts_per_turn": sorted(puts),
        "pending_write_calls_per_turn": sorted(writes),
        "checkpoint_write_ms_per_turn": latency_summary(write_s),
        "turn_ms": latency_summary(turn_s),
        "reopened_threads_kept_their_state": True,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=5)
    args = parser.parse_args()
    data_dir = prepare(args.data_dir)
    os.environ["STYLIST_DATA_DIR"] = str(data_dir)
    os.environ["STYLIST_LLM_PROVIDER"] = "offline"
    counter = WriteCounter()
    report = asyncio.run(play(args.threads, counter))
    print(json.dumps({"data_dir": str(data_dir), **report}, indent=2))


if __name__ == "__main__":
    main()
