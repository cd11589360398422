"""Micro-batching: concurrent requests collected for a few milliseconds, answered by one call.

An encoder forward pass on 8 photos costs far less than 8 passes on one photo each (the
per-call overhead of the model and the threads it uses is paid once), so `/v1/tag` requests
that arrive together share one pass. The first request of a batch waits at most `window_s` for
company; a full batch (`max_batch`) goes at once. With `window_s == 0` every request runs on
its own thread, as without a batcher.

Route handlers are plain `def`s (FastAPI's thread pool), so `submit` blocks its caller thread
while one worker thread runs the batches.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


class MicroBatcher(Generic[In, Out]):
    def __init__(
        self,
        run_batch: Callable[[list[In]], Sequence[Out]],
        *,
        window_s: float,
        max_batch: int,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.run_batch = run_batch
        self.window_s = window_s
        self.max_batch = max_batch
        self.on_batch = on_batch
        self._queue: queue.Queue[tuple[In, Future] | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False

    @property
    def enabled(self) -> bool:
        return self.window_s > 0 and self.max_batch > 1

    def submit(self, item: In) -> Out:
        """The answer for `item` (its batch's exception, or its own, is raised here)."""
        if not self.enabled:
            self._observe(1)
            return self.run_batch([item])[0]
        future: Future = Future()
        self._ensure_worker()
        self._queue.put((item, future))
        return future.result()

    def close(self) -> None:
        self._closed = True
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=5)
            self._worker = None

    # --- the worker --------------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        with self._start_lock:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._loop, name="stylist-micro-batcher", daemon=True
                )
                self._worker.start()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            deadline = time.perf_counter() + self.window_s
            stop = False
            while len(batch) < self.max_batch:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                try:
                    entry = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
                if entry is None:
                    stop = True
                    break
                batch.append(entry)
            self._run(batch)
            if stop:
                return

    def _run(self, batch: list[tuple[In, Future]]) -> None:
        self._observe(len(batch))
        items = [item for item, _ in batch]
        try:
            answers = list(self.run_batch(items))
        except Exception as err:  # noqa: BLE001 - find whose item failed: answer each on its own
            if len(batch) == 1:
                batch[0][1].set_exception(err)
                return
            for item, future in batch:
                try:
                    future.set_result(self.run_batch([item])[0])
                except Exception as err:  # noqa: BLE001 - handed to the waiting request
                    future.set_exception(err)
            return
        for (_, future), answer in zip(batch, answers, strict=True):
            future.set_result(answer)

    def _observe(self, size: int) -> None:
        if self.on_batch is not None:
            self.on_batch(size)
