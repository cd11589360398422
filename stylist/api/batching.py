"""Micro-batching: concurrent requests collected for a few milliseconds, answered by one call.

An encoder forward pass on 8 photos costs far less than 8 passes on one photo each (the
per-call overhead of the model and the threads it uses is paid once), so `/v1/tag` requests
that arrive together share one pass. The first request of a batch waits at most `window_s` for
company; a full batch (`max_batch`) goes at once. With `window_s == 0` every request runs on
its own thread, as without a batcher.

Route handlers are plain `def`s (FastAPI's thread pool), so `submit` blocks its caller thread
while one worker thread runs the batches.

A handler that wraps its whole request in `admitted()` (from before it reads and decodes the
upload) tells the batcher how many requests are on their way. A batch then waits for company
while more requests are in flight than it holds; when the last batch held several (under
load), also until it is as large as that one (its clients are sending again) and then a few ms
after each arrival (requests still in the HTTP layer, not admitted yet); and not at all for a
request that comes alone. So the window can be long enough to fill batches
under load without adding its length to a lone request's latency.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Generic, TypeVar

# How often a batch that waits for company looks again whether any is still on its way.
_POLL_S = 0.001
# Under load, how long after the last arrival a batch still waits for requests not admitted yet
# (a client's next request, still in the HTTP layer). Waiting out the whole window instead
# idled the model when every client was already in the batch: closed-loop clients send again
# only once answered (8 clients, real catalog: batches of 7.3 but 1.35x the throughput).
UNDER_LOAD_LINGER_S = 0.005

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
        self._admitted = 0  # requests inside `admitted()`: submitted soon, or waiting, or running
        self._admitted_lock = threading.Lock()
        self._tracking = False  # some caller uses `admitted()`: trust its count
        # The size of the last batch. More than one: under load, whose next requests may still
        # be in the clients' or the HTTP layer's hands (not admitted yet): a batch waits until
        # it is as large again, then lingers a little after the last arrival.
        self._last_size = 0

    @property
    def enabled(self) -> bool:
        return self.window_s > 0 and self.max_batch > 1

    @contextmanager
    def admitted(self) -> Iterator[None]:
        """Around a whole request that will `submit`: it counts as on its way meanwhile."""
        with self._admitted_lock:
            self._admitted += 1
            self._tracking = True
        try:
            yield
        finally:
            with self._admitted_lock:
                self._admitted -= 1

    def _more_on_the_way(self, batch_size: int, last_arrival: float) -> bool:
        if not self._tracking:
            return True  # nobody counts arrivals: wait out the window
        with self._admitted_lock:
            if self._admitted > batch_size:
                return True  # admitted, still reading or decoding its upload
        if self._last_size < 2:
            return False  # no load: nobody else is coming
        if batch_size < self._last_size:
            return True  # the clients of the last batch are sending again
        return time.perf_counter() - last_arrival < UNDER_LOAD_LINGER_S

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
            last_arrival = time.perf_counter()
            deadline = last_arrival + self.window_s
            stop = False
            while len(batch) < self.max_batch:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                try:
                    entry = self._queue.get_nowait()
                except queue.Empty:
                    if not self._more_on_the_way(len(batch), last_arrival):
                        break
                    try:  # short waits: a request that is alone after all is not kept waiting
                        entry = self._queue.get(timeout=min(remaining, _POLL_S))
                    except queue.Empty:
                        continue
                if entry is None:
                    stop = True
                    break
                batch.append(entry)
                last_arrival = time.perf_counter()
            self._run(batch)
            if stop:
                return

    def _run(self, batch: list[tuple[In, Future]]) -> None:
        self._observe(len(batch))
        self._last_size = len(batch)
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
