"""How much of the patch memory's colour to keep where no keyframe of the shot reaches: fitted per model.

A match on frozen features is often wrong, and a wrong hue costs more than no hue. How often, and
how wrong, depends on the footage and on how many keyframes the model holds, so it is measured on
the model's own keyframes: the keyframes are put in groups of look-alikes (one shot's keyframes
land together), each group is left out in turn and matched against the others only, as a frame of
a new clip would be. For each bin of the match's confidence the gain g that minimises the squared
ab error of ``g * matched`` against the truth is kept (least squares: g = sum(matched . truth) /
sum(|matched|^2), within [0, 1]). Uncorrelated guesses get g near 0: the colour moves toward gray,
which is what costs least where the memory does not know.

Each bin's gain is pulled toward the gain fitted over all positions by PRIOR_POSITIONS positions'
worth of evidence, and the gains are made non-decreasing in confidence (a better match never earns
less colour).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memovid.paint.trust import non_decreasing

BINS = 5                 # confidence bins, at quantiles of the held-out confidences
PRIOR_POSITIONS = 2000   # how many positions' evidence the overall gain weighs in each bin


def confidence(match) -> np.ndarray:
    """The match's confidence per position (memovid.model.patches.Match): its best cosine."""
    return match.similarity


@dataclass(frozen=True)
class Hedge:
    """Gain on the matched ab by confidence: ``edges`` (BINS + 1,) ascending bin edges (the outer ones
    infinite), ``gain`` (BINS,) in [0, 1], non-decreasing; ``overall`` the gain over all positions;
    ``positions`` how many held-out positions it was fitted on (0: not fitted, gain 0)."""

    edges: tuple[float, ...]
    gain: tuple[float, ...]
    overall: float = 0.0
    positions: int = 0

    def __call__(self, confidence: np.ndarray) -> np.ndarray:
        """(...) confidence -> (...) float32 gain in [0, 1]."""
        bins = np.clip(np.digitize(confidence, self.edges[1:-1]), 0, len(self.gain) - 1)
        return np.asarray(self.gain, np.float32)[bins]


NO_HEDGE_DATA = Hedge((-np.inf, np.inf), (0.0,))  # nothing to measure on: no colour from the patch memory


class HedgeFit:
    """Accumulates held-out matches (see module doc) and fits the Hedge."""

    def __init__(self) -> None:
        self.confidence: list[np.ndarray] = []
        self.num: list[np.ndarray] = []   # matched . truth per position
        self.den: list[np.ndarray] = []   # |matched|^2 per position

    def add(self, confidence: np.ndarray, matched: np.ndarray, truth: np.ndarray) -> None:
        """One left-out keyframe: confidence (h, w); matched, truth (h, w, 2) ab."""
        self.confidence.append(confidence.ravel().astype(np.float32))
        self.num.append((matched * truth).sum(-1).ravel().astype(np.float64))
        self.den.append((matched ** 2).sum(-1).ravel().astype(np.float64))

    def hedge(self, bins: int = BINS) -> Hedge:
        if not self.confidence:
            return NO_HEDGE_DATA
        c, num, den = (np.concatenate(x) for x in (self.confidence, self.num, self.den))
        if den.sum() <= 0:
            return NO_HEDGE_DATA
        overall = float(np.clip(num.sum() / den.sum(), 0.0, 1.0))
        edges = np.quantile(c, np.linspace(0.0, 1.0, bins + 1))
        edges[0], edges[-1] = -np.inf, np.inf
        of = np.clip(np.digitize(c, edges[1:-1]), 0, bins - 1)
        prior = PRIOR_POSITIONS * den.sum() / len(den)
        n = np.bincount(of, num, bins) + overall * prior
        d = np.bincount(of, den, bins) + prior
        gain = non_decreasing(np.clip(n / d, 0.0, 1.0), d)
        return Hedge(tuple(float(e) for e in edges), tuple(float(g) for g in gain), overall, len(c))
