"""Shot signatures: what two shots are compared by when deciding whether they show the same setup.

A shot is summarised by a few samples spread over it (frames inside transitions left out). Each
sample is a 16x12 gray thumbnail normalised to zero mean and unit contrast, plus a 32-bin luma
histogram. The distance between two shots is the smallest distance over all pairs of their samples
(a returning camera set-up matches at its most similar moment even if actors moved), where one pair
costs half the thumbnail difference (layout: where the window, the dark wall, the faces are;
1.13 = unrelated pictures, scaled to ~1) plus half the histogram difference (tonal character: a
night exterior against a lit interior; total variation in [0, 1]).
Why these: the films are black and white, so colour cannot help; a thumbnail this small ignores
grain, small motion and focus changes but keeps the composition that a shot/reverse-shot pair
repeats; normalising removes old-film flicker; the histogram catches tonal changes that the
normalised thumbnail cannot see. Learned features would cost a network pass per shot and a model
download for what is, in a conversation, a near-repeat of the same picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import cv2
import numpy as np

from memovid.scenes.features import normalised

T = TypeVar("T")

_BINS = 32
_UNRELATED = 1.13  # E|X - Y| for independent unit Gaussians: thumbnails of unrelated pictures


@dataclass(frozen=True)
class Sample:
    """One frame's summary: thumb (h, w) float32 normalised, hist (32,) float32 summing to 1."""

    index: int
    thumb: np.ndarray
    hist: np.ndarray


def sample_frame(index: int, gray: np.ndarray, size: tuple[int, int]) -> Sample:
    """gray: (h, w) uint8 working picture; size: (width, height) of the thumbnail."""
    thumb = cv2.resize(gray, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    hist = np.bincount(gray.ravel() >> 3, minlength=_BINS).astype(np.float32)
    return Sample(index, normalised(thumb), hist / hist.sum())


def pair_distance(a: Sample, b: Sample) -> float:
    layout = float(np.abs(a.thumb - b.thumb).mean()) / _UNRELATED
    tones = 0.5 * float(np.abs(a.hist - b.hist).sum())
    return 0.5 * layout + 0.5 * tones


def shot_distance(a: list[Sample], b: list[Sample]) -> float:
    """Smallest sample-pair distance, ~0 for the same set-up, ~0.5-1 for unrelated shots."""
    return min(pair_distance(x, y) for x in a for y in b)


def spread(samples: list[T], count: int) -> list[T]:
    """``count`` items evenly spread over the list (first and last included)."""
    if len(samples) <= count:
        return list(samples)
    picks = np.linspace(0, len(samples) - 1, num=count).round().astype(int)
    return [samples[i] for i in picks]
