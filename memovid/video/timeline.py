"""Presentation times a muxer accepts, whatever the source's timestamps were (no av import here).

Decoders give pictures in presentation order, but the timestamps they carry can be wrong: DivX-era AVI
with packed B-frames labels them 1, 2, 4, 3, 5, 7, 6 (the AVI index counts chunks, not pictures),
some streams have no pts at all, damaged ones repeat or go back. FFmpeg's answer is a best-effort
timestamp; memovid's is the same idea made strict, so that the output always has one frame per
decoded picture and the copied sound stays where it was:

- a frame's label is its pts, else its dts (what FFmpeg's ``best_effort_timestamp`` falls back to);
- labels are sorted within a short window (``depth`` frames): pictures stay in the decoder's order and
  take the window's smallest label, which undoes local shuffles like the packed B-frames' exactly;
- a frame without a label, or whose label is not after the previous one, is placed one nominal frame
  duration after the previous one (increasing gaps, i.e. variable frame rate, are kept as they are);
- a picture the decoder lost (``LOST``, pushed where its packet failed) fills a gap of the pictures'
  own times: where the next picture comes two or more frame durations after the previous one, the
  lost ones take the empty slots (at most as many as were lost). A lost picture is not placed by its
  packet's timestamp, because a threaded decoder reports a failure a few packets late; one that finds
  no gap before the end is dropped (a film is never made longer than its pictures' times say);
- with ``fill_gaps`` (time bases that count frames, as AVI's does: there a gap can only be a frame the
  file lost, or a capture's dropped frame, which players repeat) every gap is filled.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Generic, Iterator, TypeVar

T = TypeVar("T")

# Frames held back to sort their labels: enough for the reorder depth of MPEG-4 Part 2 and H.264 streams
# met in practice (B-pyramids of 3-4), small enough to keep memory flat.
REORDER_DEPTH = 4


class _Lost:
    """Marks a slot whose picture could not be decoded."""

    def __repr__(self) -> str:
        return "LOST"


LOST = _Lost()


class Timeline(Generic[T]):
    """Feed ``push(item, label)`` in decoder order, then ``drain()``; both yield (item, pts).

    step: one nominal frame duration in time-base units (>= 1). The pts yielded are strictly
    increasing. ``repaired`` counts frames whose label was missing or out of order; ``dropped``
    counts LOST pictures that found no gap to fill (with ``fill_gaps``, lost pictures beyond the gaps).
    """

    def __init__(self, step: int, depth: int = REORDER_DEPTH, fill_gaps: bool = False) -> None:
        if step < 1:
            raise ValueError(f"step must be >= 1, got {step}")
        self.step = step
        self.depth = depth
        self.fill_gaps = fill_gaps
        self._items: deque[T] = deque()
        self._labels: list[int] = []
        self._unlabelled: deque[int] = deque()  # positions (in push order) of items without a label
        self._popped = 0
        self._lost = 0
        self._last: int | None = None
        self.repaired = 0
        self.dropped = 0

    def push(self, item: T | _Lost, label: int | None) -> Iterator[tuple[T | _Lost, int]]:
        if item is LOST:
            self._lost += 1
            return
        self._items.append(item)
        if label is not None:
            heapq.heappush(self._labels, label)
        else:
            self._unlabelled.append(len(self._items) - 1 + self._popped)
        while len(self._items) > self.depth:
            yield from self._pop()

    def drain(self) -> Iterator[tuple[T | _Lost, int]]:
        while self._items:
            yield from self._pop()
        self.dropped += self._lost
        self._lost = 0

    def _pop(self) -> Iterator[tuple[T | _Lost, int]]:
        item = self._items.popleft()
        if self._unlabelled and self._unlabelled[0] == self._popped:
            self._unlabelled.popleft()
            label = None
        else:
            label = heapq.heappop(self._labels)
        self._popped += 1
        if label is None or (self._last is not None and label <= self._last):
            self.repaired += 1
            label = 0 if self._last is None else self._last + self.step
        elif (self._lost or self.fill_gaps) and self._last is not None:
            free = round((label - self._last) / self.step) - 1
            for _ in range(free if self.fill_gaps else min(free, self._lost)):
                self._last += self.step
                self._lost = max(0, self._lost - 1)
                yield LOST, self._last
        self._last = label
        yield item, label
