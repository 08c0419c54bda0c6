"""Retrieval confidence on a scale a restorer can read: 1 = looks like footage the model learned from,
0.5 = halfway between how alike two frames of one learned scene are and how alike frames of different
scenes are, toward 0 = unlike anything it saw.

The raw figure, the cosine similarity of a frame's query to its best memory key, is not comparable
between models: a query net with a random or frozen backbone maps every image into a narrow cone (all
similarities 0.97-1.0), ImageNet features spread them out, and how far depends on the footage (a
cartoon's scenes sit further apart than a live-action film's shots). So train measures the model's
own yardstick on its training frames, within scenes and across them (see yardstick).
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
    """The cosine distance at which confidence is 0.5: halfway between how like each other two frames
    of one learned scene are and how like a frame of another scene is.

    For each training frame: its best cosine to another frame of its own scene, and its best cosine to
    a frame of any other scene; the medians of the two are the "known" and "unrelated" levels, and
    confidence 0.5 sits at their midpoint. Measured on real footage (benchmarks/confidence.py) the
    ImageNet features put scenes the model never saw at the unrelated level; the rule before, twice
    the distance to a scene's nearest other frame plus to the memory, counted a live-action scene's
    own variety twice and came out so wide that nothing was ever flagged.

    With one scene, or scenes the features do not tell apart (known no higher than unrelated), the old
    rule: 2 x (median distance to the scene's nearest other frame + median distance to the best
    memory key). queries: (n, d) L2-normalised. scenes: (n,) scene id per frame. keys: (m, d) the
    filled memory keys. None when no scene has two frames.
    """
    queries = np.asarray(queries, np.float64)
    scenes = np.asarray(scenes)
    sims = queries @ queries.T
    np.fill_diagonal(sims, -np.inf)
    same_scene = scenes[:, None] == scenes[None, :]
    has_pair = same_scene.sum(1) > 1
    if not has_pair.any() or len(keys) == 0:
        return None
    known = np.where(same_scene, sims, -np.inf).max(1)[has_pair]
    if (~same_scene).any(1).all():
        unrelated = np.where(same_scene, -np.inf, sims).max(1)
        known_level, unrelated_level = float(np.median(known)), float(np.median(unrelated))
        if known_level > unrelated_level:
            return max(1.0 - (known_level + unrelated_level) / 2.0, 1e-6)
    to_key = np.maximum(1.0 - (queries @ np.asarray(keys, np.float64).T).max(1), 0.0)
    return max(2.0 * (float(np.median(np.maximum(1.0 - known, 0.0))) + float(np.median(to_key))), 1e-6)
