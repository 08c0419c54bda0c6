"""Bounded background prefetch for iterators: overlap decode, model and encode stages.

``prefetch(frames, 8)`` runs ``frames`` in a worker thread that stays at most 8 items ahead, so a
slow consumer never makes memory grow. Errors raised by the producer are raised again in the
consumer at the point where the failing item would have arrived. When the consumer stops early
(``break``, an exception, KeyboardInterrupt, or simply dropping the iterator) the worker is told to
stop, the producer is closed and the thread is joined.
"""

from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

_DONE = object()
# How often a blocked worker re-checks whether the consumer went away (seconds).
_POLL = 0.1


class _Raised:
    """Carries the producer's exception across the queue."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(iterable: Iterable[T], depth: int) -> Iterator[T]:
    """Yield the items of ``iterable``, produced up to ``depth`` items ahead in a daemon thread.

    depth <= 0 returns the plain iterator (no thread).
    """
    if depth <= 0:
        return iter(iterable)
    return _prefetch(iter(iterable), depth)


def _prefetch(source: Iterator[T], depth: int) -> Iterator[T]:
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        """Put unless the consumer has gone; True when the item was queued."""
        while not stop.is_set():
            try:
                items.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in source:
                if not put(item):
                    break
            else:
                put(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, re-raised there
            put(_Raised(error))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name="memovid-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()
