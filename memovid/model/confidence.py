"""Retrieval confidence on a scale a restorer can read: 1 = looks like footage the model learned from,
0.5 = twice as far from the memory as the training frames of one scene are from each other, toward 0 =
unlike anything it saw.

The raw figure, the cosine similarity of a frame's query to its best memory key, is not comparable
between models: a query net with a random or frozen backbone maps every image into a narrow cone (all
similarities 0.97-1.0), a trained one spreads them out. So train measures the model's own yardstick:
how far the training frames sit from their scene's other frames and from the memory (see yardstick).
Confidence = 0.5 ** (distance / yardstick).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONFIDENCE_FLOOR = 0.5  # a scene below this (and with no keyframe of its own) is flagged "needs a keyframe"
METADATA_KEY = "confidence"


@dataclass(frozen=True)
class Calibration:
    """scale: the cosine distance at which confidence is 0.5; None for a model trained before
    calibration existed (then the raw similarity, clipped to [0, 1], is the confidence)."""

    scale: float | None = None

    def __call__(self, similarity):
        s = np.asarray(similarity, dtype=np.float64)
        if self.scale is None:
            out = np.clip(s, 0.0, 1.0)
        else:
            out = 0.5 ** (np.maximum(1.0 - s, 0.0) / self.scale)
        return float(out) if out.ndim == 0 else out.astype(np.float32)

    @classmethod
    def from_model(cls, model) -> "Calibration":
        return cls(model.metadata.get(METADATA_KEY, {}).get("scale"))


def yardstick(queries: np.ndarray, scenes: list[int], keys: np.ndarray) -> float | None:
    """The cosine distance at which confidence is 0.5: twice how far a frame of a known scene sits
    from the memory, that is the median distance from each training frame's query to its nearest
    other frame of its scene (a scene's own variety) plus the median distance to its best memory key
    (the memory merges similar frames into one slot whose key is their average).

    queries: (n, d) L2-normalised. scenes: (n,) scene id per frame. keys: (m, d) the filled memory
    keys. None when no scene has two frames.
    """
    queries = np.asarray(queries, np.float64)
    scenes = np.asarray(scenes)
    neighbour = []
    for scene in np.unique(scenes):
        q = queries[scenes == scene]
        if len(q) < 2:
            continue
        sims = q @ q.T
        np.fill_diagonal(sims, -np.inf)
        neighbour.extend(np.maximum(1.0 - sims.max(1), 0.0).tolist())
    if not neighbour or len(keys) == 0:
        return None
    to_key = np.maximum(1.0 - (queries @ np.asarray(keys, np.float64).T).max(1), 0.0)
    return max(2.0 * (float(np.median(neighbour)) + float(np.median(to_key))), 1e-6)
