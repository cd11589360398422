"""The micro-batcher behind /v1/tag: requests on their way are waited for, a lone request is not
(so a long window fills batches under load without slowing a request that comes alone)."""

from __future__ import annotations

import threading
import time

from stylist.api.batching import MicroBatcher

HANG_GUARD_S = 20  # only to fail instead of hanging; no test here measures speed


def _batcher(window_s: float) -> tuple[MicroBatcher, list[int]]:
    sizes: list[int] = []
    batcher = MicroBatcher(
        lambda items: [item * 10 for item in items],
        window_s=window_s,
        max_batch=16,
        on_batch=sizes.append,
    )
    return batcher, sizes


def _run(*workers: threading.Thread) -> bool:
    """Start the threads and wait for them; True when one is still waiting (hang guard)."""
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(HANG_GUARD_S)
    return any(w.is_alive() for w in workers)


def _pair_admitted_together(batcher: MicroBatcher) -> list[threading.Thread]:
    """Two requests both admitted before either submits."""
    together = threading.Barrier(2)

    def request(value: int) -> None:
        with batcher.admitted():
            together.wait()
            batcher.submit(value)

    return [threading.Thread(target=request, args=(i,)) for i in range(2)]


def test_a_lone_admitted_request_does_not_wait_out_the_window():
    batcher, sizes = _batcher(window_s=3600)  # an hour: waiting it out would hang the test
    answers: list[int] = []

    def request() -> None:
        with batcher.admitted():
            answers.append(batcher.submit(4))

    worker = threading.Thread(target=request)
    worker.start()
    worker.join(HANG_GUARD_S)
    waited = worker.is_alive()
    batcher.close()  # (lets a request that waited finish)
    assert not waited, "a request alone waited for company"
    assert answers == [40] and sizes == [1]


def test_requests_still_on_their_way_join_the_batch():
    batcher, sizes = _batcher(window_s=3600)
    admitted = threading.Barrier(4)
    answers: dict[int, int] = {}

    def request(i: int) -> None:
        with batcher.admitted():
            admitted.wait()  # all four are in flight before any submits
            time.sleep(0.05 * i)  # reading and decoding their uploads take different times
            answers[i] = batcher.submit(i)

    waited = _run(*(threading.Thread(target=request, args=(i,)) for i in range(4)))
    batcher.close()
    assert not waited
    assert answers == {0: 0, 1: 10, 2: 20, 3: 30}
    assert sizes == [4]  # one pass for the four, although they submitted 150 ms apart


def test_under_load_a_batch_waits_for_requests_not_admitted_yet(monkeypatch):
    batcher, sizes = _batcher(window_s=3)

    def late(value: int, delay: float) -> None:
        time.sleep(delay)  # still with the client / HTTP layer: not admitted yet
        with batcher.admitted():
            batcher.submit(value)

    # Two at once: one batch of two, and the batcher is now under load.
    _run(*_pair_admitted_together(batcher))
    # The next two: the second is admitted 0.2 s after the first was submitted.
    _run(threading.Thread(target=late, args=(2, 0.0)), threading.Thread(target=late, args=(3, 0.2)))
    assert sizes == [2, 2]  # waited for it (the last batch held two), not two passes of one
    # As large as the last batch, it still lingers after an arrival for one more.
    from stylist.api import batching

    monkeypatch.setattr(batching, "UNDER_LOAD_LINGER_S", 1.0)  # > the 0.2 s below, < window
    _run(*(threading.Thread(target=late, args=(4 + i, 0.2 * (i == 2))) for i in range(3)))
    batcher.close()
    assert sizes == [2, 2, 3]


def test_under_load_a_batch_stops_lingering_when_nobody_comes():
    # Every client already in the batch: waiting out a long window would only idle the model.
    batcher, sizes = _batcher(window_s=3600)
    for _ in range(2):  # the second pair comes while the batcher is under load
        waited = _run(*_pair_admitted_together(batcher))
        assert not waited, "an under-load batch waited out its window for nobody"
    batcher.close()
    assert sizes == [2, 2]
