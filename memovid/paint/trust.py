"""How much of the keyframes' moved colour to keep over the generator's guess, fitted per film.

The flow's reliability (memovid.motion.guide.Guidance.trust) says how likely the moved colour is right. What
it has to be weighed against is how good the generator's own guess is, and that depends on the model
(a few CPU minutes of training paint far worse than a long GPU run) and on the film. Both can be
measured where the answer is known: each keyframe of a shot with two or more is left out in turn, the
others are moved onto it, the generator paints it with that guidance, and for each reliability bin the
share w that minimises the squared ab error of ``w * moved + (1 - w) * guess`` against the keyframe's
own colour is kept (least squares: w = sum((truth - guess) . (moved - guess)) / sum(|moved - guess|^2)).
The curve is made non-decreasing (a more reliable flow never earns less trust) and reaches 1 at
reliability 1 (a keyframe comes out as painted).

Why not the reliability itself: weighting by it pays for a weak generator wherever the flow is only
fairly sure (notes/NOTES.md, "Where the colour comes from").

Left-out keyframes are guided from keyframes twice as far as a frame between them would be, and by one
direct flow rather than the chained flows colorize uses between keyframes: the fitted trust errs low.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 10             # reliability bins over [0, 1]
PRIOR_PIXELS = 500    # how many left-out pixels the prior (share = reliability) weighs in each bin


@dataclass(frozen=True)
class TrustCurve:
    """Share of moved colour kept, as a piecewise-linear function of the flow's reliability.

    reliability: ascending knots in [0, 1], from 0 to 1. share: the share at each knot, in [0, 1].
    keyframes: how many left-out keyframes it was fitted on (0: not fitted, share = reliability).
    """

    reliability: tuple[float, ...]
    share: tuple[float, ...]
    keyframes: int = 0

    def __call__(self, reliability: np.ndarray) -> np.ndarray:
        """(h, w) reliability in [0, 1] -> (h, w) float32 share of the moved colour to keep."""
        return np.interp(reliability, self.reliability, self.share).astype(np.float32)


FLOW_ONLY = TrustCurve((0.0, 1.0), (0.0, 1.0))  # the prior: keep as much as the flow is reliable


class TrustFit:
    """Accumulates left-out keyframes (see module doc) and fits the curve."""

    def __init__(self, bins: int = BINS) -> None:
        self.edges = np.linspace(0.0, 1.0, bins + 1)
        self.num = np.zeros(bins)      # sum of (truth - guess) . (moved - guess)
        self.den = np.zeros(bins)      # sum of |moved - guess|^2
        self.pixels = np.zeros(bins, np.int64)
        self.keyframes = 0

    def add(self, reliability: np.ndarray, moved: np.ndarray, guess: np.ndarray, truth: np.ndarray) -> None:
        """One left-out keyframe: reliability (h, w) in [0, 1]; moved, guess, truth (h, w, 2) ab."""
        bin_of = np.clip(np.digitize(reliability.ravel(), self.edges[1:-1]), 0, len(self.num) - 1)
        diff = (moved - guess).reshape(-1, 2).astype(np.float64)
        gain = ((truth - guess).reshape(-1, 2) * diff).sum(1)
        self.num += np.bincount(bin_of, gain, len(self.num))
        self.den += np.bincount(bin_of, (diff ** 2).sum(1), len(self.num))
        self.pixels += np.bincount(bin_of, minlength=len(self.num))
        self.keyframes += 1

    def curve(self) -> TrustCurve:
        if not self.pixels.any() or self.den.sum() <= 0:
            return FLOW_ONLY
        centres = (self.edges[:-1] + self.edges[1:]) / 2
        # The prior (share = reliability) counts as PRIOR_PIXELS pixels of evidence in every bin: a bin
        # the left-out keyframes hardly reach stays near it, a well-measured bin follows its data.
        prior = PRIOR_PIXELS * self.den.sum() / self.pixels.sum()
        share = np.clip((self.num + centres * prior) / (self.den + prior), 0.0, 1.0)
        share = non_decreasing(share, self.den + prior)
        knots = (0.0, *centres.tolist(), 1.0)
        return TrustCurve(knots, (float(share[0]), *share.tolist(), 1.0), self.keyframes)


def non_decreasing(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted least-squares non-decreasing fit (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, length]
    for v, w in zip(values.tolist(), weights.tolist()):
        blocks.append([v, max(w, 1e-12), 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (v2, w2, n2), (v1, w1, n1) = blocks.pop(), blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    return np.array([v for v, _, n in blocks for _ in range(n)])
