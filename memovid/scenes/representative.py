"""The most representative frames of a scene, chosen from a bounded sample of its frames' query features.

``suggest`` asks a colourist to paint the frame that stands for a scene best: the one whose query
feature (what the memory is searched with) is closest to the scene's mean, then, for more than one,
frames unlike those already chosen. A shot keeps at most ``SAMPLES_PER_SHOT`` evenly spread samples
(the stride doubles when it fills), so memory is bounded per shot, not per frame.
"""

from __future__ import annotations

import numpy as np

SAMPLES_PER_SHOT = 12  # x 512 float16 = 12 KB a shot: a feature film's ~1500 shots keep 18 MB


class ShotSampler:
    """Evenly spread (frame index, vector) samples of one shot, at most ``limit`` of them.

    Also keeps train's candidate thumbnails (memovid.training.samples); ``dtype`` is what they are stored as.
    """

    def __init__(self, limit: int = SAMPLES_PER_SHOT, dtype=np.float16) -> None:
        self.limit, self.dtype, self.stride, self.seen = limit, dtype, 1, 0
        self.samples: list[tuple[int, np.ndarray]] = []

    def add(self, index: int, value) -> None:
        """value: (d,) array, or a callable making it, called only for the frames kept."""
        if self.seen % self.stride == 0:
            self.samples.append((index, np.asarray(value() if callable(value) else value, self.dtype)))
            if len(self.samples) > self.limit:
                self.samples = self.samples[::2]
                self.stride *= 2
        self.seen += 1


def representatives(samples: list[tuple[int, np.ndarray]], count: int) -> list[int]:
    """Up to ``count`` frame indices: first the sample nearest the mean query, then each next the one
    farthest (in cosine terms) from those already picked, so several picks cover the scene's looks."""
    if not samples or count < 1:
        return []
    indices = [i for i, _ in samples]
    q = np.stack([v for _, v in samples]).astype(np.float32)                # (n, d)
    mean = q.mean(0)
    picked = [int(np.argmax(q @ mean))]
    while len(picked) < min(count, len(samples)):
        nearest = (q @ q[picked].T).max(1)                                  # similarity to the closest pick
        nearest[picked] = np.inf
        picked.append(int(np.argmin(nearest)))
    return [indices[p] for p in picked]
