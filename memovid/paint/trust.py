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


TRUST_KEYFRAMES = 32  # left-out keyframes the trust curve is fitted on, spread over the film


def fit_trust(film, analysis, features: list) -> TrustCurve:
    """The curve for this film (see module doc): each keyframe of a shot with two or more is painted
    from the others, at most TRUST_KEYFRAMES of them spread over the film; FLOW_ONLY when there are
    none (or ``--trust flow`` says so). features: the scenes' colour features (memovid.paint.sources.Generator)."""
    import torch

    from memovid.color.levels import L8_to_L
    from memovid.log import logger
    from memovid.model.inputs import L_tensor, at_size, batches, guide_tensor
    from memovid.motion.guide import KeyframeGuide
    from memovid.scenes.signature import spread

    model, shape, config = film.model, film.shape, film.config
    if not config.guidance or config.trust == "flow":
        return FLOW_ONLY
    by_shot = analysis.keyframes_by_shot()
    left_out = [(shot, k) for shot, numbers in by_shot.items() if len(numbers) > 1 for k in numbers]
    if not left_out:
        return FLOW_ONLY
    left_out = spread(left_out, TRUST_KEYFRAMES)
    scene_of_shot = analysis.table.scene_of_shot()
    fit = TrustFit()
    for batch in batches(iter(left_out), config.batch_size):
        cases = []
        for shot, k in batch:
            guide = KeyframeGuide()
            for other in by_shot[shot]:
                if other != k:
                    guide.add_keyframe(other, *at_size(analysis.keyframes[other], shape))
            L8, truth = at_size(analysis.keyframes[k], shape)
            cases.append((L8, truth, guide.guide_for(k, L8), features[scene_of_shot[shot]]))
        with torch.inference_mode():
            guess = model.colorize(L_tensor([L8_to_L(L8) for L8, *_ in cases], model.device),
                                   torch.stack([f for *_, f in cases]).to(model.device),
                                   guide_tensor([g for _, _, g, _ in cases], shape, model.device))
        for (_, truth, g, _), ab in zip(cases, guess.float().permute(0, 2, 3, 1).cpu().numpy()):
            fit.add(g.trust, g.ab, ab, truth)
    curve = fit.curve()
    logger.info("trust in moved keyframe colour fitted on %d left-out keyframes: %s of it kept at flow "
                "reliability 0.5", curve.keyframes, f"{float(curve(np.float32(0.5))):.0%}")
    return curve
