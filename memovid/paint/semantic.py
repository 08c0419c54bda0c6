"""The semantic guide: colour for frames no keyframe of their own shot reaches, from the patch memory.

Built once per film from the keyframes the model holds (memovid.model.patches): their positions are
indexed, and how much of a match's colour holds up on a new clip is fitted by leaving groups of
look-alike keyframes out (memovid.paint.hedge). Each frame then gets, at working size, the matched
ab times that gain, spread onto the frame's own luminance by the guided filter (no blotch crosses an
edge), and the gain itself as a weight: the generator's guide input, with the moved keyframe colour's
contract (memovid.model.inputs.guide_planes). Where nothing matches, the gain is low and the colour
stays near gray: a wrong hue costs more than no hue.

A position counts as *matched* when its best cosine reaches the MATCHED_QUANTILE of the left-out
keyframes' positions' best cosines: it is matched about as well as a new clip of the model's own
footage (whose positions are then 75 % matched). The
share of a scene's positions that are matched is the scene's confidence in the report and ``suggest``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memovid.log import logger
from memovid.model.patches import PatchConfig, PatchMemory, frame_features, grid_of, grid_shape, look_groups
from memovid.paint.hedge import Hedge, HedgeFit, confidence

MAX_LEFT_OUT = 24      # groups left out for the hedge fit, spread over the model's keyframes
MIN_KEYFRAMES = 2      # fewer: nothing to leave out, no semantic guide
MATCHED_QUANTILE = 0.25


@dataclass(frozen=True)
class SemanticGuide:
    """One frame's semantic guide at working size: ab (h, w, 2) Lab units (already scaled by the gain);
    weight (h, w) in [0, 1], the gain; matched: the share of the frame's positions matched (0..1)."""

    ab: np.ndarray
    weight: np.ndarray
    matched: float

    @property
    def trust(self) -> np.ndarray:
        return self.weight


class SemanticSource:
    """The patch memory, its hedge and the matched level for one film's working shape."""

    def __init__(self, model, memory: PatchMemory, hedge: Hedge, matched_level: float, shape: tuple[int, int]) -> None:
        self.model, self.memory, self.hedge, self.shape = model, memory, hedge, shape
        self.matched_level = matched_level

    @classmethod
    def fit(cls, model, shape: tuple[int, int], batch_size: int = 8,
            config: PatchConfig = PatchConfig()) -> "SemanticSource | None":
        """From the model's keyframes at working ``shape``; None when it holds fewer than MIN_KEYFRAMES."""
        from memovid.model.inputs import at_size
        from memovid.model.keyframes import KeyframeStore

        keyframes = sorted(KeyframeStore.from_model(model).by_frame.values(), key=lambda k: k.frame)
        if len(keyframes) < MIN_KEYFRAMES:
            return None
        fitted = _fit(model, [at_size(k, shape) for k in keyframes], config)
        logger.info("semantic guide: %d positions of %d keyframes in %d look-alike groups; %.0f%% of matched "
                    "colour kept overall (fitted on left-out groups)", len(fitted.memory), len(keyframes),
                    len(fitted.memory.groups()), 100 * fitted.hedge.overall)
        return cls(model, fitted.memory, fitted.hedge, fitted.level, shape)

    def matches(self, Ls: list[np.ndarray]):
        """(memovid.model.patches.Match, L on the grid (B, gh, gw)) for (h, w) L arrays at working size."""
        grid = grid_shape(self.shape)
        L_grid = np.stack([grid_of(L, grid) for L in Ls])
        return self.memory.match(frame_features(self.model.backbone, Ls, self.model.device), L_grid), L_grid

    def matched_share(self, match) -> np.ndarray:
        """(B,) share of each frame's positions matched (see the module doc)."""
        return (match.similarity >= self.matched_level).mean(axis=(1, 2))

    def guides(self, Ls: list[np.ndarray]) -> list[SemanticGuide]:
        """One SemanticGuide per (h, w) L array at working size."""
        match, L_grid = self.matches(Ls)
        gain = self.hedge(confidence(match))                            # (B, gh, gw)
        shares = self.matched_share(match)
        return [_guide(match.ab[i], gain[i], L_grid[i], L, float(shares[i])) for i, L in enumerate(Ls)]


def _guide(ab: np.ndarray, gain: np.ndarray, L_grid: np.ndarray, L: np.ndarray, matched: float) -> SemanticGuide:
    """ab (gh, gw, 2) and gain (gh, gw) on the grid -> the SemanticGuide at L's (h, w), spread by the
    guided filter on the frame's own luminance."""
    from memovid.model.inputs import resize_to
    from memovid.paint.upsample import guided_upsample

    spread = guided_upsample(np.ascontiguousarray(ab * gain[..., None]), L_grid, L).copy()
    return SemanticGuide(spread, resize_to(gain, L.shape), matched)


@dataclass(frozen=True)
class _Fitted:
    """The patch memory of some pictures, its hedge, the matched level, and each picture's held-out
    match (ab (gh, gw, 2), gain (gh, gw), L on the grid, L at its size) for the training guides."""

    memory: PatchMemory
    hedge: Hedge
    level: float
    held_out: list


def _fit(model, pictures: list[tuple[np.ndarray, np.ndarray]], config: PatchConfig) -> _Fitted:
    """pictures: (L8 (h, w) uint8, ab (h, w, 2)) each at its own working size."""
    from memovid.color.levels import l8_to_L
    from memovid.scenes.signature import spread

    Ls = [l8_to_L(L8) for L8, _ in pictures]
    features = [frame_features(model.backbone, [L], model.device)[0] for L in Ls]
    grids = [f.shape[:2] for f in features]
    abs_ = [grid_of(ab, g) for (_, ab), g in zip(pictures, grids)]
    L_grid = [grid_of(L, g) for L, g in zip(Ls, grids)]
    groups = look_groups([L8 for L8, _ in pictures])
    if len(set(groups)) == 1:  # one shot's keyframes only: each is left out alone (an easier test)
        groups = list(range(len(pictures)))
    memory = PatchMemory.build(features, abs_, L_grid, groups, config)
    fit, best, matches = HedgeFit(), [], {}
    for g in spread(sorted(set(groups)), MAX_LEFT_OUT):
        for i in (i for i, x in enumerate(groups) if x == g):
            match = memory.match(features[i][None], L_grid[i][None], leave_out=g)
            fit.add(confidence(match)[0], match.ab[0], abs_[i])
            best.append(match.similarity[0].ravel())
            matches[i] = match
    hedge = fit.hedge()
    level = float(np.quantile(np.concatenate(best), MATCHED_QUANTILE))
    held_out = [None if i not in matches else (matches[i].ab[0], hedge(confidence(matches[i])[0]), L_grid[i], Ls[i])
                for i in range(len(pictures))]
    return _Fitted(memory, hedge, level, held_out)


def training_guides(model, pictures: list[tuple[np.ndarray, np.ndarray]],
                    config: PatchConfig = PatchConfig()) -> list[SemanticGuide | None]:
    """For each training picture (L8, ab) at its working size, the semantic guide built from the OTHER
    groups of look-alikes, hedged as colorize would hedge it: the generator learns on these when to
    follow a match and when to discount it. None where the picture was not left out (past
    MAX_LEFT_OUT groups) or there are fewer than MIN_KEYFRAMES pictures."""
    if len(pictures) < MIN_KEYFRAMES:
        return [None] * len(pictures)
    fitted = _fit(model, pictures, config)
    return [None if held is None else _guide(*held, 0.0) for held in fitted.held_out]
