"""memovid.video.prefetch.prefetch: order kept, bounded look-ahead, errors and early stops handled."""

import threading
import time

import pytest

from memovid.video.prefetch import prefetch


def _worker_threads():
    return [t for t in threading.enumerate() if t.name == "memovid-prefetch"]


def test_yields_everything_in_order():
    assert list(prefetch(range(100), 3)) == list(range(100))
    assert list(prefetch(range(5), 0)) == list(range(5))  # depth 0: no thread at all


def test_look_ahead_is_bounded():
    produced = []

    def source():
        for i in range(50):
            produced.append(i)
            yield i

    items = prefetch(source(), 4)
    assert next(items) == 0
    time.sleep(0.2)
    # queue of 4 + the item the worker holds while waiting + the one consumed
    assert len(produced) <= 6
    items.close()


def test_producer_error_is_raised_in_consumer_after_the_good_items():
    def source():
        yield 1
        yield 2
        raise ValueError("bad frame 3")

    got = []
    with pytest.raises(ValueError, match="bad frame 3"):
        for item in prefetch(source(), 2):
            got.append(item)
    assert got == [1, 2]
    assert not _worker_threads()


def test_early_stop_closes_the_producer_and_joins_the_thread():
    closed = threading.Event()

    def source():
        try:
            for i in range(10**6):
                yield i
        finally:
            closed.set()

    for item in prefetch(source(), 2):
        if item == 3:
            break
    assert closed.wait(2) and not _worker_threads()


def test_keyboard_interrupt_in_consumer_stops_the_worker():
    with pytest.raises(KeyboardInterrupt):
        for item in prefetch(iter(range(10**6)), 2):
            if item == 10:
                raise KeyboardInterrupt
    assert not _worker_threads()
