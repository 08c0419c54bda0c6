"""The semantic guide: colour for frames no keyframe of their own shot reaches, from the patch memory.

Built once per film, when a frame first needs it, from the keyframes the model holds
(memovid.model.patches): their positions are indexed, and how much of a match's colour, and of the
shot's luminance palette, holds up on a new clip is fitted by leaving keyframes spread over the film
out, each with its whole stretch of the film (its look-alikes with it): per confidence bin the match
keeps only what holds up on the stretch it fits worst, the palette what pays over all of them
(memovid.paint.hedge). Each frame then gets, at working size, the matched ab times its gain (plus the
palette times its own), spread onto the frame's own luminance by the guided filter (no blotch crosses
an edge), and the gain as a weight: with the moved keyframe colour's contract
(memovid.model.inputs.guide_planes) where the generator reads it. Where nothing matches, the gains
are low and the colour stays near gray: a wrong hue costs more than no hue.

A position counts as *matched* when its best cosine reaches the MATCHED_QUANTILE of the left-out
keyframes' positions' best cosines: it is matched about as well as a new clip of the model's own
footage (whose positions are then 75 % matched). The share of a shot's positions that are matched
is its confidence in the report and ``suggest`` (memovid.paint.analyse).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memovid.log import logger
from memovid.model.patches import PatchConfig, PatchMemory, frame_features, grid_of, grid_shape, look_groups
from memovid.paint.hedge import Hedge, HedgeFit, confidence

MAX_LEFT_OUT = 64      # keyframes left out for the hedge fit (each with its stretch), spread over the film
MIN_KEYFRAMES = 2      # fewer: nothing to leave out, no semantic guide
MATCHED_QUANTILE = 0.25
STRETCHES = 3          # the keyframes cut, in film order, into this many stretches, each left out whole (a new
                       # clip is another stretch); more leave stretches of one keyframe on a short film


@dataclass(frozen=True)
class SemanticGuide:
    """One frame's semantic guide at working size: ab (h, w, 2) Lab units (already scaled by the gain);
    weight (h, w) in [0, 1], the gain; matched: the share of the frame's positions matched (0..1)."""

    ab: np.ndarray
    weight: np.ndarray
    matched: float


class SemanticSource:
    """The patch memory, its hedges and the matched level for one film's working shape, fitted from the
    model's keyframes when first used (a film whose every shot has keyframes of its own never needs it)."""

    def __init__(self, model, keyframes: list, shape: tuple[int, int], batch_size: int = 8,
                 config: PatchConfig = PatchConfig()) -> None:
        self.model, self.keyframes, self.shape = model, keyframes, shape
        self.batch_size, self.config = batch_size, config
        self._fitted: _Fitted | None = None

    @classmethod
    def of(cls, model, shape: tuple[int, int], batch_size: int = 8,
           config: PatchConfig = PatchConfig()) -> "SemanticSource | None":
        """For the model's keyframes at working ``shape``; None when it holds fewer than MIN_KEYFRAMES."""
        from memovid.model.keyframes import KeyframeStore

        keyframes = sorted(KeyframeStore.from_model(model).by_frame.values(), key=lambda k: k.frame)
        return cls(model, keyframes, shape, batch_size, config) if len(keyframes) >= MIN_KEYFRAMES else None

    @property
    def fitted(self) -> "_Fitted":
        if self._fitted is None:
            from memovid.model.inputs import at_size
            from memovid.timing import stage

            with stage("semantic fit"):
                pictures = [at_size(k, self.shape) for k in self.keyframes]
                self._fitted = _fit(self.model, pictures, self.config, _palette_bank(self.model, pictures, self.batch_size))
            logger.info("semantic guide: %d positions of %d keyframes in %d look-alike groups; %.0f%% of matched "
                        "colour kept overall (fitted on left-out groups)", len(self._fitted.memory), len(self.keyframes),
                        len(self._fitted.memory.groups()), 100 * self._fitted.hedge.overall)
        return self._fitted

    def matches(self, Ls: list[np.ndarray]):
        """(memovid.model.patches.Match, L on the grid (B, gh, gw)) for (h, w) L arrays at working size."""
        grid = grid_shape(self.shape)
        L_grid = np.stack([grid_of(L, grid) for L in Ls])
        return self.fitted.memory.match(frame_features(self.model.backbone, Ls, self.model.device), L_grid), L_grid

    def matched_share(self, match) -> np.ndarray:
        """(B,) share of each frame's positions matched (see the module doc)."""
        return (match.similarity >= self.fitted.level).mean(axis=(1, 2))

    def guides(self, Ls: list[np.ndarray], palettes: list | None = None) -> list[SemanticGuide]:
        """One SemanticGuide per (h, w) L array at working size. palettes: each frame's shot palette
        (memovid.paint.palette.Palette) or None; where given, the guide is the match and the palette
        mixed by the gains fitted for the two together."""
        from memovid.model.inputs import resize_to

        match, L_grid = self.matches(Ls)
        shares = self.matched_share(match)
        out = []
        for i, L in enumerate(Ls):
            fitted = self.fitted
            palette = palettes[i] if palettes is not None and fitted.with_palette is not None else None
            hedge = fitted.hedge if palette is None else fitted.with_palette
            guide = _guide(match.ab[i], hedge(confidence(match)[i]), L_grid[i], L, float(shares[i]))
            if palette is not None:
                h = resize_to(hedge.palette_gain(confidence(match)[i]), L.shape)
                guide = SemanticGuide(guide.ab + h[..., None] * palette(L), np.maximum(guide.weight, h), guide.matched)
            out.append(guide)
        return out


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
    with_palette: Hedge | None = None


def _palette_bank(model, pictures: list[tuple[np.ndarray, np.ndarray]], batch_size: int):
    """The pictures as palette material (memovid.paint.palette.PaletteBank), with their memory queries."""
    import torch

    from memovid.color.levels import L8_to_L
    from memovid.model.inputs import L_tensor, batches
    from memovid.paint.palette import PaletteBank

    with torch.inference_mode():
        keys = np.concatenate([model.query(L_tensor(b, model.device)).float().cpu().numpy()
                               for b in batches((L8_to_L(L8) for L8, _ in pictures), batch_size)])
    return PaletteBank(pictures, keys)


def _fit(model, pictures: list[tuple[np.ndarray, np.ndarray]], config: PatchConfig, bank=None) -> _Fitted:
    """pictures: (L8 (h, w) uint8, ab (h, w, 2)) each at its own working size; bank: their PaletteBank,
    to fit the gains of match and palette together too (None: the match alone)."""
    from memovid.color.levels import L8_to_L
    from memovid.scenes.signature import spread

    Ls = [L8_to_L(L8) for L8, _ in pictures]
    features = [frame_features(model.backbone, [L], model.device)[0] for L in Ls]
    grids = [f.shape[:2] for f in features]
    abs_ = [grid_of(ab, g) for (_, ab), g in zip(pictures, grids)]
    L_grid = [grid_of(L, g) for L, g in zip(Ls, grids)]
    groups = look_groups([L8 for L8, _ in pictures])
    if len(set(groups)) == 1:  # one shot's keyframes only: each is left out alone (an easier test)
        groups = list(range(len(pictures)))
    memory = PatchMemory.build(features, abs_, L_grid, groups, config, on_gpu=model.device.type == "cuda")
    # each group goes to the stretch of its middle keyframe (pictures are in film order) and is left out
    # with that whole stretch; where all groups land in one stretch, each is left out alone
    stretch = np.array([int(np.median([i * STRETCHES // len(groups) for i, x in enumerate(groups) if x == g]))
                        for g in range(max(groups) + 1)])
    out_of, held = np.arange(len(stretch)), memory
    if len(set(stretch.tolist())) > 1:
        out_of, held = stretch, memory.regrouped(stretch[memory.group])
    fit, joint, best, matches = HedgeFit(), HedgeFit(), [], {}
    # keyframes spread evenly over the film, not whole groups: the fit keeps, per bin, what holds up on
    # its worst stretch, and a stretch that few left-out keyframes stand for reads low by chance
    # (wannaworktogether: 24 of 83 groups gave palette gains ~0.7, 48 or more keyframes ~0.95)
    for i in spread(list(range(len(pictures))), MAX_LEFT_OUT):
        g = groups[i]
        members = [j for j, x in enumerate(groups) if out_of[x] == out_of[g]]
        match = held.match(features[i][None], L_grid[i][None], leave_out=int(out_of[g]))
        fit.add(confidence(match)[0], match.ab[0], abs_[i], stretch=int(stretch[g]))
        if bank is not None:
            palette = bank.palette_for(bank.keys[i], exclude=members)
            joint.add(confidence(match)[0], match.ab[0], abs_[i], grid_of(palette(Ls[i]), grids[i]),
                      stretch=int(stretch[g]))
        # the matched level stays "as well as a left-out look-alike group": a whole stretch left out
        # matches worse, and a level taken from it would call an unseen scene matched
        alike = match if held is memory else memory.match(features[i][None], L_grid[i][None], leave_out=g)
        best.append(alike.similarity[0].ravel())
        matches[i] = match
    hedge = fit.hedge()
    level = float(np.quantile(np.concatenate(best), MATCHED_QUANTILE))
    held_out = [None if i not in matches else (matches[i].ab[0], hedge(confidence(matches[i])[0]), L_grid[i], Ls[i])
                for i in range(len(pictures))]
    return _Fitted(memory, hedge, level, held_out, joint.hedge() if bank is not None else None)


def training_guides(model, pictures: list[tuple[np.ndarray, np.ndarray]],
                    config: PatchConfig = PatchConfig()) -> list[SemanticGuide | None]:
    """For each training picture (L8, ab) at its working size, the semantic guide built from the OTHER
    groups of look-alikes, hedged as colorize would hedge it: the generator learns on these when to
    follow a match and when to discount it. None where the picture was not left out (not
    among the MAX_LEFT_OUT keyframes) or there are fewer than MIN_KEYFRAMES pictures."""
    if len(pictures) < MIN_KEYFRAMES:
        return [None] * len(pictures)
    fitted = _fit(model, pictures, config)
    return [None if held is None else _guide(*held, 0.0) for held in fitted.held_out]
