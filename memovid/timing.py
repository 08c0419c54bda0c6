"""Per-stage wall time of a run, recorded only when asked (benchmarks/profile.py).

The library marks its stages with ``with stage("generator"):`` (or ``@staged("flow")``) and wraps the iterators it waits on
with ``timed("decode", frames)``. Outside ``record()`` both are free: ``stage`` hands back one
shared do-nothing context and ``timed`` the iterator itself. Inside, time is exclusive: a stage
nested in another (the flow inside the guide) is taken out of its parent, so the shares add up to
the run. Only the thread that called ``record()`` is timed; work in background threads (prefetch)
shows as the time the main thread waits for it.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound=Callable)

_OFF = nullcontext()


class StageTimes:
    """Seconds and calls per stage name, exclusive of the stages nested inside."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._open: list[str] = []
        self.thread = threading.get_ident()

    @contextmanager
    def stage(self, name: str):
        if threading.get_ident() != self.thread:
            yield
            return
        self._open.append(name)
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            self._open.pop()
            self.seconds[name] += spent
            self.calls[name] += 1
            if self._open:
                self.seconds[self._open[-1]] -= spent


_current: StageTimes | None = None


@contextmanager
def record() -> Iterator[StageTimes]:
    """Time the stages run inside the block (on this thread); yields the StageTimes being filled."""
    global _current
    previous, _current = _current, StageTimes()
    try:
        yield _current
    finally:
        _current = previous


def stage(name: str):
    """A context that adds its wall time to ``name`` while recording; nothing otherwise."""
    return _OFF if _current is None else _current.stage(name)


def staged(name: str) -> Callable[[F], F]:
    """A decorator: every call of the function is a ``stage(name)``."""
    def wrap(function: F) -> F:
        @functools.wraps(function)
        def call(*args, **kwargs):
            if _current is None:
                return function(*args, **kwargs)
            with _current.stage(name):
                return function(*args, **kwargs)
        return call  # type: ignore[return-value]
    return wrap


def timed(name: str, items: Iterable[T]) -> Iterable[T]:
    """``items``, with the time spent waiting for each one added to ``name`` while recording."""
    return items if _current is None else _timed(name, iter(items))


def _timed(name: str, items: Iterator[T]) -> Iterator[T]:
    while True:
        with stage(name):
            item = next(items, _END)
        if item is _END:
            return
        yield item


_END = object()
