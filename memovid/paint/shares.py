"""How much of each colour source colorize keeps, decided per film before it paints.

- The keyframes' moved colour over the generator's guess: a curve over the flow's reliability fitted
  on the film's own keyframes, each left out and painted from the others (memovid.paint.trust).
- A luminance palette over the generator's guess, on shots no keyframe reaches: per shot, from how far
  the generator strays from the palette against the palette's error on keyframes it did not see
  (memovid.paint.palette).
"""

from __future__ import annotations

import numpy as np

from memovid.paint.config import ColorizeConfig
from memovid.color.levels import l8_to_L
from memovid.log import logger
from memovid.scenes.signature import spread
from memovid.model.inputs import L_tensor, at_size, batches, guide_tensor

TRUST_KEYFRAMES = 32  # left-out keyframes the trust curve is fitted on (memovid.paint.trust), spread over the film


def fit_trust(model, analysis, shape: tuple[int, int], features: list, config: ColorizeConfig):
    """memovid.paint.trust's curve for this film: each keyframe of a shot with two or more is painted from the
    others, at most TRUST_KEYFRAMES of them spread over the film; FLOW_ONLY when there are none (or
    ``config.trust`` says so)."""
    import torch

    from memovid.motion.guide import KeyframeGuide
    from memovid.paint.trust import FLOW_ONLY, TrustFit

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
            guess = model.colorize(L_tensor([l8_to_L(L8) for L8, *_ in cases], model.device),
                                   torch.stack([f for *_, f in cases]).to(model.device),
                                   guide_tensor([g for _, _, g, _ in cases], shape, model.device))
        for (_, truth, g, _), ab in zip(cases, guess.float().permute(0, 2, 3, 1).cpu().numpy()):
            fit.add(g.trust, g.ab, ab, truth)
    curve = fit.curve()
    logger.info("trust in moved keyframe colour fitted on %d left-out keyframes: %s of it kept at flow "
                "reliability 0.5", curve.keyframes, f"{float(curve(np.float32(0.5))):.0%}")
    return curve


def shot_palettes(model, analysis, shape: tuple[int, int], config: ColorizeConfig):
    """({shot: Palette} for the shots no keyframe of this film reaches, the palettes' held-out error)
    (memovid.paint.palette). Each palette pools all the model's keyframes, weighted by how like the
    shot's frames their memory query is; the error is measured on up to TRUST_KEYFRAMES keyframes,
    each painted by the palette of the others weighted by their likeness to it."""
    import torch

    from memovid.model.keyframes import KeyframeStore
    from memovid.paint.palette import PaletteBank

    if not (config.guidance and config.palette):
        return {}, 0.0
    keyframes = list(KeyframeStore.from_model(model).by_frame.values())
    shots = analysis.table.shots
    reached = {analysis.table.shot_of(number) for number in analysis.keyframes}
    bare = [i for i in range(len(shots)) if i not in reached]
    if len(keyframes) < 2 or not bare:
        return {}, 0.0
    at = [at_size(k, shape) for k in keyframes]
    with torch.inference_mode():
        keys = np.concatenate([model.query(L_tensor(b, model.device)).float().cpu().numpy()
                               for b in batches((l8_to_L(L8) for L8, _ in at), config.batch_size)])
    bank = PaletteBank(at, keys)
    palettes = {}
    for shot in bare:
        span = shots[shot]
        queries = [q for i, q in analysis.samples if span.start <= i < span.end]
        if queries:
            palettes[shot] = bank.palette_for(np.mean(queries, axis=0))
    if not palettes:
        return {}, 0.0
    error = bank.held_out_error(spread(list(range(len(keyframes))), TRUST_KEYFRAMES))
    logger.info("%d shots without keyframes: part of their colour from the palette of the keyframes most like "
                "them (its error on keyframes it did not see: %.1f ab)", len(palettes), error ** 0.5)
    return palettes, error


class PaletteShares:
    """The palette's share per keyframe-less shot (memovid.paint.palette.share), decided on the first batch
    of the shot's frames the generator paints and kept for the whole shot, so it does not flicker.
    Frames inside a transition do not decide it (a fade-in's dark frames, where generator and palette
    both have little colour, would hand the whole shot to the generator); until the first frame past
    it, their own estimate stands in."""

    def __init__(self, palettes: dict, held_out: float) -> None:
        self.palettes = palettes
        self.held_out = held_out
        self.shot, self.share, self.settled = -1, 0.0, False  # shots come in order: only the current is held

    def apply(self, batch: list, ab: np.ndarray) -> np.ndarray:
        """ab (B, h, w, 2) of ``batch`` with the palette mixed in on frames of keyframe-less shots
        (items with .shot, .guide, .L_small, .in_transition)."""
        out = ab.copy()
        for i, item in enumerate(batch):
            if item.guide is not None or getattr(item, "semantic", None) is not None or item.shot not in self.palettes:
                continue
            palette = self.palettes[item.shot]
            if item.shot != self.shot or not self.settled:
                self._decide(item.shot, palette, batch, ab)
            out[i] = self.share * palette(item.L_small) + (1.0 - self.share) * ab[i]
        return out

    def _decide(self, shot: int, palette, batch: list, ab: np.ndarray) -> None:
        from memovid.paint.palette import share

        frames = [j for j, other in enumerate(batch) if other.shot == shot and other.guide is None]
        steady = [j for j in frames if not batch[j].in_transition]
        self.shot, self.settled = shot, bool(steady)
        self.share = share(self.held_out, [(palette(batch[j].L_small), ab[j]) for j in steady or frames])
        if self.settled:
            logger.debug("shot %d without keyframes: %.0f%% of its colour from the palette", shot, 100 * self.share)
