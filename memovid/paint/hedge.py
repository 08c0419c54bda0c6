"""How much of the patch memory's colour, and of the luminance palette, to keep where no keyframe of
the shot reaches: fitted per model.

A match on frozen features is often wrong, and a wrong hue costs more than no hue. How often, and
how wrong, depends on the footage and on how many keyframes the model holds, so it is measured on
the model's own keyframes: the keyframes are put in groups of look-alikes (one shot's keyframes
land together), each group is left out in turn and matched against the others only, as a frame of
a new clip would be. For each bin of the match's confidence the gain g that minimises the squared
ab error of ``g * matched`` against the truth is kept (least squares: g = sum(matched . truth) /
sum(|matched|^2), within [0, 1]). Uncorrelated guesses get g near 0: the colour moves toward gray,
which is what costs least where the memory does not know.

The palette (memovid.paint.palette: colour by luminance from the keyframes most like the shot) is a
second guess with errors of its own; where it is given, the two gains (g on the match, h on the
palette) are fitted together, per bin, by the same least squares on ``g * matched + h * palette``
(both within [0, 1]; the left-out keyframe's palette comes from the other groups only). Together they
still fall to 0 where neither holds up.

Each bin's gains are pulled toward the gains fitted over all positions by PRIOR_POSITIONS positions'
worth of evidence, and the match's gains are made non-decreasing in confidence (a better match never
earns less colour). The groups are left out with their whole stretch of the film (memovid.paint.semantic),
a new clip being one more stretch. The two guesses are then hedged differently, because they fail
differently:

- the match's gain is scaled down to the share of the pair that holds up on the stretch it fits worst:
  a wrong match paints one object a confident wrong hue, and colour that holds up on some stretches of
  the film but not on others is colour a new clip cannot count on;
- the palette's gain is then refitted, that match's gain fixed, over all the stretches together (the
  expected gain, not the worst): its guess is the colour the film's look-alike keyframes take at each
  luminance, wrong by less when wrong. Taking its worst stretch too left every other clip of
  wannaworktogether gray (one odd stretch, the film's opening, zeroed it): grid CIEDE2000 over its four
  other clips 7.70 with it zeroed (= gray), 4.01 now; freecol's new clip, where neither guess holds,
  stays at gray's level (7.70 against 7.67 before and gray 7.56).
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
    """Gains by confidence: ``edges`` (BINS + 1,) ascending bin edges (the outer ones infinite); ``gain``
    (BINS,) on the matched ab, in [0, 1], non-decreasing; ``palette`` (BINS,) on the palette's ab, in
    [0, 1] (all 0 when fitted without one); ``overall`` the match's gain over all positions;
    ``positions`` how many held-out positions it was fitted on (0: not fitted, gains 0)."""

    edges: tuple[float, ...]
    gain: tuple[float, ...]
    palette: tuple[float, ...] = (0.0,)
    overall: float = 0.0
    positions: int = 0

    def __call__(self, confidence: np.ndarray) -> np.ndarray:
        """(...) confidence -> (...) float32 gain on the matched ab, in [0, 1]."""
        return np.asarray(self.gain, np.float32)[self._bins(confidence)]

    def palette_gain(self, confidence: np.ndarray) -> np.ndarray:
        """(...) confidence -> (...) float32 gain on the palette's ab, in [0, 1]."""
        gains = np.asarray(self.palette, np.float32)
        return gains[np.minimum(self._bins(confidence), len(gains) - 1)]

    def _bins(self, confidence: np.ndarray) -> np.ndarray:
        return np.clip(np.digitize(confidence, self.edges[1:-1]), 0, len(self.gain) - 1)


NO_HEDGE_DATA = Hedge((-np.inf, np.inf), (0.0,))  # nothing to measure on: no colour from either


class HedgeFit:
    """Accumulates held-out matches (see module doc) and fits the Hedge."""

    def __init__(self) -> None:
        self.confidence: list[np.ndarray] = []
        self.sums: list[np.ndarray] = []  # per position: m.t, m.m, p.t, p.p, m.p
        self.stretch: list[np.ndarray] = []  # per position: the stretch of the film it was left out with

    def add(self, confidence: np.ndarray, matched: np.ndarray, truth: np.ndarray,
            palette: np.ndarray | None = None, stretch: int = 0) -> None:
        """One left-out keyframe: confidence (h, w); matched, truth and the palette's guess (h, w, 2) ab;
        stretch: the stretch of the film it was left out with."""
        m, t = matched.reshape(-1, 2).astype(np.float64), truth.reshape(-1, 2).astype(np.float64)
        p = np.zeros_like(m) if palette is None else palette.reshape(-1, 2).astype(np.float64)
        self.confidence.append(confidence.ravel().astype(np.float32))
        self.stretch.append(np.full(confidence.size, stretch, np.int32))
        self.sums.append(np.stack([(m * t).sum(1), (m * m).sum(1), (p * t).sum(1), (p * p).sum(1), (m * p).sum(1)], 1))

    def hedge(self, bins: int = BINS) -> Hedge:
        if not self.confidence:
            return NO_HEDGE_DATA
        c, sums = np.concatenate(self.confidence), np.concatenate(self.sums)
        total = sums.sum(0)
        if total[1] + total[3] <= 0:
            return NO_HEDGE_DATA
        overall = _gains(total)
        edges = np.quantile(c, np.linspace(0.0, 1.0, bins + 1))
        edges[0], edges[-1] = -np.inf, np.inf
        of = np.clip(np.digitize(c, edges[1:-1]), 0, bins - 1)
        pulled = _pulled(sums, of, bins)
        gains = np.array([_gains(pulled[b]) for b in range(bins)])
        # the match by its worst stretch, the palette (that match fixed) over all of them: module doc
        gains[:, 0] *= _worst_share(gains, sums, of, np.concatenate(self.stretch))
        gains[:, 1] = _palette_given(gains[:, 0], pulled)
        weight = pulled[:, 1]
        match = non_decreasing(gains[:, 0], weight)
        return Hedge(tuple(float(e) for e in edges), tuple(float(g) for g in match),
                     tuple(float(h) for h in gains[:, 1]), float(overall[0]), len(c))


def _pulled(sums: np.ndarray, of: np.ndarray, bins: int) -> np.ndarray:
    """(bins, 5) the positions' sums per bin, each pulled toward their overall sums scaled to
    PRIOR_POSITIONS positions (a bin few positions reach stays near the overall fit)."""
    per_bin = np.stack([np.bincount(of, sums[:, j], bins) for j in range(5)], 1)
    return per_bin + PRIOR_POSITIONS / len(sums) * sums.sum(0)


def _worst_share(gains: np.ndarray, sums: np.ndarray, of: np.ndarray, stretch: np.ndarray) -> np.ndarray:
    """(bins,) per bin, the least over the stretches of the share a of the bin's pair (g, h) that fits that
    stretch's positions best (least squares on ``a * (g m + h p)``, within [0, 1]; its bins pulled toward
    its own overall sums: _pulled)."""
    share = np.ones(len(gains))
    for s in np.unique(stretch):
        mt, mm, pt, pp, mp = _pulled(sums[stretch == s], of[stretch == s], len(gains)).T
        g, h = gains.T
        fit = g * mt + h * pt
        size = g * g * mm + h * h * pp + 2 * g * h * mp
        share = np.minimum(share, np.where(size > 0, np.clip(fit / np.maximum(size, 1e-12), 0.0, 1.0), 1.0))
    return share


def _palette_given(g: np.ndarray, pulled: np.ndarray) -> np.ndarray:
    """(bins,) the palette's gain h within [0, 1] minimising |g m + h p - t|^2 per bin, the match's gain g
    fixed; pulled: (bins, 5) sums (m.t, m.m, p.t, p.p, m.p). One bin: g a number, pulled (5,)."""
    mt, mm, pt, pp, mp = pulled.T
    return np.where(pp > 0, np.clip((pt - g * mp) / np.maximum(pp, 1e-12), 0.0, 1.0), 0.0)


def _gains(s: np.ndarray) -> np.ndarray:
    """(g, h) within [0, 1] minimising |g m + h p - t|^2 from the sums (m.t, m.m, p.t, p.p, m.p): the joint
    least squares where both come out in range, else the better of the two alone."""
    mt, mm, pt, pp, mp = s
    det = mm * pp - mp * mp
    if det > 1e-9 * max(mm * pp, 1e-12):
        g, h = (mt * pp - pt * mp) / det, (pt * mm - mt * mp) / det
        if 0.0 <= g <= 1.0 and 0.0 <= h <= 1.0:
            return np.array([g, h])
    candidates = [np.array([np.clip(mt / mm, 0, 1) if mm > 0 else 0.0, 0.0]),
                  np.array([0.0, np.clip(pt / pp, 0, 1) if pp > 0 else 0.0])]
    if det > 0:  # both at the edge of the square: g or h clipped to 1 with the other refitted
        for g in (0.0, 1.0):
            candidates.append(np.array([g, float(_palette_given(g, s))]))
        for h in (0.0, 1.0):
            candidates.append(np.array([np.clip((mt - h * mp) / mm, 0, 1), h]))

    def cost(x: np.ndarray) -> float:
        g, h = x
        return g * g * mm + h * h * pp + 2 * g * h * mp - 2 * g * mt - 2 * h * pt

    return min(candidates, key=cost)
