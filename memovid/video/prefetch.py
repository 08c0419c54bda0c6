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
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, TypeVar

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


class Behind:
    """The handle ``write_behind`` yields: ``submit(item)`` queues one item for the worker."""

    def __init__(self, finish: Callable[[T], None], depth: int, name: str) -> None:
        self._items: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._finish = finish
        self._worker = threading.Thread(target=self._work, name=name, daemon=True)
        self._worker.start()

    def submit(self, item: T) -> None:
        """Queue ``item`` (waits while ``depth`` items are queued); raises the worker's error, if any."""
        while True:
            self._raise()
            try:
                self._items.put(item, timeout=_POLL)
                return
            except queue.Full:
                continue

    def _work(self) -> None:
        while True:
            try:
                item = self._items.get(timeout=_POLL)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            if item is _DONE or self._stop.is_set():
                return
            try:
                self._finish(item)
            except BaseException as error:  # noqa: BLE001 - handed to the submitter, raised there
                self._error = error
                return

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _drain(self) -> None:
        """Everything queued is finished; the worker's error, if any, is raised."""
        while self._worker.is_alive():
            try:
                self._items.put(_DONE, timeout=_POLL)
                break
            except queue.Full:
                continue
        self._worker.join()
        self._raise()

    def _abort(self) -> None:
        self._stop.set()
        self._worker.join()


@contextmanager
def write_behind(finish: Callable[[T], None], depth: int, name: str = "memovid-behind") -> Iterator[Behind]:
    """A worker thread that runs ``finish`` on each submitted item, in order: ``submit`` waits while
    ``depth`` items are queued; leaving the block waits for all of them and raises an error ``finish``
    raised (so does the next ``submit``); an error in the block drops what is queued and joins the
    worker first, so the caller's cleanup (a writer discarding its file) runs after it has stopped."""
    handle = Behind(finish, depth, name)
    try:
        yield handle
    except BaseException:
        handle._abort()
        raise
    handle._drain()
