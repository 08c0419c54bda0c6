"""Where pass 2's colour comes from: the colour sources, behind one interface.

Each source gives, for a batch of frames (memovid.paint.stream.Item), one ``Colour`` per frame, or
None where it has nothing to say: ab at working size and a weight, the share of it to keep over the
sources beneath it. How they are layered, and when the generator need not paint at all, is
memovid.paint.mix; the fits that choose the weights sit beside each source's own module.

- ``MovedKeyframes``: the shot's keyframes' colour moved along the motion (memovid.paint.tracking),
  kept by the trust curve over the flow's reliability (memovid.paint.trust).
- ``SemanticMatch``: for frames no keyframe of their shot reaches, the patch memory's colour
  (memovid.paint.semantic), already hedged toward gray where matches did not hold up, so it replaces
  what lies beneath (weight 1); or, in ``--semantic generator``, only the generator's guide input.
- ``Palettes``: the luminance palette of the keyframes most like a shot that no keyframe reaches
  (memovid.paint.palette), its share decided per shot from how far the generator strays from it.
- ``Generator``: MemoPainter's generator, from the luminance, the scene's colour feature and the
  frame's guide (the moved keyframe colour, else the semantic match): the bottom layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from memovid.log import logger
from memovid.timing import stage


@dataclass(frozen=True)
class Colour:
    """One source's colour for one frame: ab (h, w, 2) Lab units at working size; weight, the share of
    it kept over the sources beneath, (h, w) in [0, 1] or one number for the whole frame."""

    ab: np.ndarray
    weight: np.ndarray | float


class ColourSource(Protocol):
    def colours(self, batch: list, beneath: np.ndarray | None = None) -> list[Colour | None]:
        """One Colour per frame of ``batch`` (None: nothing to say). beneath: the (B, h, w, 2) ab the
        sources below have painted, for a source whose weight depends on it."""


class MovedKeyframes:
    """The keyframes' moved colour (``item.guide``, attached by memovid.paint.tracking), weighted by
    ``curve`` (memovid.paint.trust.TrustCurve) over the flow's reliability."""

    def __init__(self, curve) -> None:
        self.curve = curve

    def colours(self, batch: list, beneath: np.ndarray | None = None) -> list[Colour | None]:
        return [None if item.guide is None else Colour(item.guide.ab, self.curve(item.guide.trust)) for item in batch]


class SemanticMatch:
    """The patch memory's colour for frames no keyframe guides. source: memovid.paint.semantic's
    SemanticSource, or None; palettes: shot -> Palette mixed into the match by the jointly fitted gains
    (empty: the match alone); mode: ColorizeConfig.semantic."""

    def __init__(self, source, palettes: dict, mode: str) -> None:
        self.source, self.palettes, self.mode = source, palettes, mode

    def attach(self, batch: list) -> None:
        """``item.semantic`` (a SemanticGuide) for each frame of ``batch`` without keyframe guidance."""
        bare = [item for item in batch if item.guide is None]
        if self.source is None or not bare:
            return
        with stage("semantic guide"):
            guides = self.source.guides([item.L_small for item in bare], [self.palettes.get(item.shot) for item in bare])
            for item, guide in zip(bare, guides):
                item.semantic = guide

    def colours(self, batch: list, beneath: np.ndarray | None = None) -> list[Colour | None]:
        if self.mode not in ("mix", "alone"):
            return [None] * len(batch)
        return [None if item.semantic is None else Colour(item.semantic.ab, 1.0) for item in batch]


class Palettes:
    """The luminance palettes of shots no keyframe reaches (memovid.paint.palette.shot_palettes: shot ->
    Palette, and their held-out error), on frames with neither keyframe guidance nor a semantic match.

    A shot's share (memovid.paint.palette.share) is decided on the first batch of its frames and kept
    for the whole shot, so it does not flicker. Frames inside a transition do not decide it (a fade-in's
    dark frames, where generator and palette both have little colour, would hand the whole shot to the
    generator); until the first frame past it, their own estimate stands in."""

    def __init__(self, palettes: dict, held_out: float) -> None:
        self.palettes = palettes
        self.held_out = held_out
        self.shot, self.share, self.settled = -1, 0.0, False  # shots come in order: only the current is held

    def colours(self, batch: list, beneath: np.ndarray | None = None) -> list[Colour | None]:
        out: list[Colour | None] = []
        for item in batch:
            if item.guide is not None or item.semantic is not None or item.shot not in self.palettes:
                out.append(None)
                continue
            palette = self.palettes[item.shot]
            if item.shot != self.shot or not self.settled:
                self._decide(item.shot, palette, batch, beneath)
            out.append(Colour(palette(item.L_small), self.share))
        return out

    def _decide(self, shot: int, palette, batch: list, beneath: np.ndarray) -> None:
        from memovid.paint.palette import share

        frames = [j for j, other in enumerate(batch) if other.shot == shot and other.guide is None]
        steady = [j for j in frames if not batch[j].in_transition]
        self.shot, self.settled = shot, bool(steady)
        self.share = share(self.held_out, [(palette(batch[j].L_small), beneath[j]) for j in steady or frames])
        if self.settled:
            logger.debug("shot %d without keyframes: %.0f%% of its colour from the palette", shot, 100 * self.share)


class Generator:
    """MemoPainter's generator (memovid.model.bundle.MemoModel.colorize): ab from a frame's luminance,
    a colour feature (its scene's vote, or with ``retrieval == "frame"`` the frame's own top-1 slot)
    and its guide input (the moved keyframe colour, else the semantic match, else none)."""

    def __init__(self, model, analysis, retrieval: str = "scene") -> None:
        self.model, self.analysis, self.retrieval = model, analysis, retrieval
        values = model.memory.values
        filled = model.memory.filled
        # a scene with no vote takes the memory's mean feature
        self.fallback = values[filled].mean(0) if bool(filled.any()) else values.new_zeros(values.shape[1])
        self.scene_features = [values[c.slot] if c is not None else self.fallback for c in analysis.choices]

    def colours(self, batch: list, beneath: np.ndarray | None = None) -> list[Colour | None]:
        import torch

        from memovid.model.inputs import L_tensor, guide_tensor

        model = self.model
        shape = batch[0].L_small.shape
        with torch.inference_mode(), stage("generator"):
            out = model.colorize(L_tensor([item.L_small for item in batch], model.device),
                                 torch.stack([self._feature(item) for item in batch]).to(model.device),
                                 guide_tensor([item.guide if item.guide is not None else item.semantic
                                               for item in batch], shape, model.device))
        return [Colour(ab, 1.0) for ab in out.float().permute(0, 2, 3, 1).cpu().numpy()]

    def _feature(self, item):
        if self.retrieval == "frame" and item.index < len(self.analysis.frame_top1):
            slot = int(self.analysis.frame_top1[item.index])
            return self.model.memory.values[slot] if slot >= 0 else self.fallback
        return self.scene_features[item.scene] if item.scene < len(self.scene_features) else self.fallback
