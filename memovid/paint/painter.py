"""Pass 2 of colorize, at full size: paint, guide, trust, smooth, upsample, encode.

The generator paints ab at working size from the luminance, the scene's colour feature and, where
the shot has keyframes, their motion-warped ab (memovid.motion.guide); the keyframes' moved colour is
kept over its guess by a trust curve (memovid.paint.trust), shots without keyframes take part of
theirs from a palette (memovid.paint.palette), chroma is held steady within each shot
(memovid.temporal), upsampled edge-aware onto the ORIGINAL full-resolution luminance and dimmed in
fades. Decoding runs in a background thread (bounded queue) while the model works in batches, and
the full-size finishing and the encoder in another, a few frames behind (memovid.video.prefetch).

The keyframe chains hold frames back until the shot's next keyframe (up to MAX_HELD). Where a gap's
worth of full-size pictures would pass HELD_LIMIT (sparse keyframes, large frames), the model's side
keeps only each frame's working-size picture and the finishing thread reads the film a second time
for the full-size ones (a 720p H.264 decode is ~2.5 ms a frame, a 2K DPX scan ~120 ms; a held 720p
picture is 0.9 MB, a deep 2K scan 9.6 MB). Otherwise, and without keyframes, the film is read once.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from memovid.color.levels import chroma
from memovid.log import logger, warn_once
from memovid.model.inputs import L_tensor, at_size, batches
from memovid.paint.analyse import Analysis
from memovid.paint.config import ColorizeConfig
from memovid.paint.finish import Finisher
from memovid.paint.shares import PaletteShares, fit_trust, shot_palettes
from memovid.progress import ProgressFn, no_progress
from memovid.timing import stage, timed


class _Timeline:
    """Walks a scene table frame by frame: which scene and shot, shot start, inside a transition."""

    def __init__(self, table) -> None:
        self.table = table
        self.scene_of_shot = table.scene_of_shot()
        self.transition = iter(sorted((t for t in table.transitions if t.end > t.start), key=lambda t: t.start))
        self.next_transition = next(self.transition, None)

    def at(self, index: int) -> tuple[int, int, bool, bool]:
        """(scene, shot, shot_start, in_transition) for frame ``index`` (called in increasing order)."""
        shot = self.table.shot_of(index)
        while self.next_transition is not None and index >= self.next_transition.end:
            self.next_transition = next(self.transition, None)
        in_transition = self.next_transition is not None and self.next_transition.start <= index
        return self.scene_of_shot[shot], shot, index == self.table.shots[shot].start, in_transition


def _feature_table(model, analysis: Analysis):
    """(scene -> feature (d,)) tensors and the fallback for a scene with no vote (the memory's mean)."""
    values = model.memory.values
    filled = model.memory.filled
    fallback = values[filled].mean(0) if bool(filled.any()) else values.new_zeros(values.shape[1])
    return [values[c.slot] if c is not None else fallback for c in analysis.choices], fallback


BEHIND = 4  # frames the full-size finishing and encode may lag pass 2's model work (each ~10 MB at 720p)
MAX_HELD = 120  # frames guide_shot may hold back waiting for the next keyframe; longer gaps use direct warps
HELD_LIMIT = 64 << 20  # full-size pictures held beyond this: pass 2 reads the film a second time instead


def paint(input: Path, output: Path, model, analysis: Analysis, shape: tuple[int, int],
          config: ColorizeConfig, temporal, encode, overwrite: bool, total: int | None,
          progress: ProgressFn = no_progress) -> int:
    """Pass 2 (see module doc). Returns the number of frames written."""
    from memovid.motion.flow import shared_flows
    from memovid.temporal import make_smoother
    from memovid.paint.upsample import UPSAMPLERS
    from memovid.video import open_writer, read_frames
    from memovid.video.prefetch import behind

    upsample = UPSAMPLERS[config.upsample]
    smoother = make_smoother(temporal)
    scene_features, fallback = _feature_table(model, analysis)
    with stage("trust/palette fits"):
        curve = fit_trust(model, analysis, shape, scene_features, config)
        palette_shares = PaletteShares(*shot_palettes(model, analysis, shape, config))
    done = generated = 0
    # A black-and-white film is read as its luma alone, as pass 1 reads it: a third of the bytes of
    # each frame held back for the keyframe chains (memovid.motion.guide), and no YUV -> RGB. A film
    # already in colour is read in colour, so its own lightness (CIE L*) is what comes out.
    mode = "rgb" if _has_colour(input) else "gray"
    frames = iter(timed("decode, pass 2", read_frames(input, mode=mode, prefetch=4, deinterlace=config.deinterlace)))
    first = next(frames, None)
    twice = first is not None and _held_bytes(analysis, config, first) > HELD_LIMIT
    pictures = _Pictures(read_frames(input, mode=mode, prefetch=BEHIND, deinterlace=config.deinterlace) if twice else None)

    finisher = Finisher(upsample)

    def finish(job) -> None:
        """Full size, in the write-behind thread (memovid.paint.finish). (memovid.timing times the main
        thread only: this shows there as "finishing (queue full)", the time pass 2 waits for it.)"""
        item, smooth, share = job
        frame = item.frame if item.frame is not None else pictures.at(item.index)
        gain = analysis.fade_gain.get(item.index, 1.0)
        weights = writer.yuv420_weights(frame)
        # each result is encoded before the finisher's next frame overwrites it
        if weights is not None:  # a black-and-white film into 4:2:0: its own luma goes out untouched
            writer.write_yuv420(frame, finisher.yuv420(frame.image, item.L_small, smooth, item.guide,
                                                       share, gain, weights))
        else:
            writer.write(frame.with_image(finisher(frame.image, item.L_small, smooth, item.guide,
                                                   share, gain, writer.rgb_luma_weights(frame))))

    # The keyframe chains and the smoother estimate each pair of consecutive frames once between them;
    # the full-size finishing and the encoder run in a thread of their own, a few frames behind
    # (BEHIND): mostly OpenCV, numpy and libx264, which let go of the GIL, so the second core works.
    with shared_flows(), pictures, open_writer(output, source=input, options=encode, overwrite=overwrite) as writer, \
            behind(finish, BEHIND, "memovid-finish") as back:
        # Written as I420, a frame's colour is only ever used at the chroma size: the keyframes' full-size
        # colour is read and moved at that size too (a quarter of the remapping and of the memory).
        chroma_only = first is not None and writer.yuv420_weights(first) is not None
        located = _located(chain([first] if first is not None else [], frames), analysis, shape, keep=not twice)
        for batch in batches(_guided(located, analysis, shape, config, chroma_only), config.batch_size):
            _attach_semantic(batch, analysis, palette_shares.palettes if config.semantic == "mix" else {})
            with stage("trust"):
                shares = [None if item.guide is None else curve(item.guide.trust) for item in batch]
            ab, made = _generated(model, batch, shares, analysis, scene_features, fallback, shape, config)
            generated += made
            with stage("palette"):
                ab = palette_shares.apply(batch, ab)  # (B, h, w, 2), Lab
            for item, painted, share in zip(batch, ab, shares):
                with stage("trust"):
                    painted = _trust_guide(painted, item.guide, share)
                with stage("temporal smoothing"):
                    smooth = smoother.process(item.L_small, painted, shot_start=item.shot_start,
                                              in_transition=item.in_transition)
                with stage("finishing (queue full)"):
                    back.submit((item, smooth, share))
            done += len(batch)
            progress("colorizing", done, total)
    if generated < done:
        logger.info("the generator painted %d of %d frames: the keyframes' moved colour was kept over the "
                    "whole of the others", generated, done)
    return done


def _generated(model, batch: list, shares: list, analysis: Analysis, scene_features: list, fallback,
               shape: tuple[int, int], config: ColorizeConfig) -> tuple[np.ndarray, int]:
    """((B, h, w, 2) ab, Lab units; how many frames the generator painted): the generator's guess for
    each frame of ``batch``, except where the trust shares (None: no guide) keep the keyframes' moved
    colour over the whole frame, all but ``config.generator_floor`` of it: there the guess would be
    thrown away, so it is not made and the moved colour stands in (see ColorizeConfig)."""
    import torch

    from memovid.model.inputs import guide_tensor

    values = model.memory.values
    ab = np.empty((len(batch), *shape, 2), np.float32)
    wanted = []
    for i, (item, share) in enumerate(zip(batch, shares)):
        if share is not None and 1.0 - float(share.min()) < config.generator_floor:
            ab[i] = item.guide.ab
        elif item.semantic is not None and config.semantic in ("mix", "alone"):
            ab[i] = item.semantic.ab
        else:
            wanted.append(i)
    if not wanted:
        return ab, 0
    features = []
    for i in wanted:
        item = batch[i]
        if config.retrieval == "frame" and item.index < len(analysis.frame_top1):
            slot = int(analysis.frame_top1[item.index])
            features.append(values[slot] if slot >= 0 else fallback)
        else:
            features.append(scene_features[item.scene] if item.scene < len(scene_features) else fallback)
    with torch.inference_mode(), stage("generator"):
        out = model.colorize(L_tensor([batch[i].L_small for i in wanted], model.device),
                             torch.stack(features).to(model.device),
                             guide_tensor([batch[i].guide if batch[i].guide is not None else batch[i].semantic
                                           for i in wanted], shape, model.device))
    ab[wanted] = out.float().permute(0, 2, 3, 1).cpu().numpy()
    return ab, len(wanted)


@dataclass
class _Item:
    """One frame on its way through pass 2."""

    index: int
    size: tuple[int, int]       # the film's (H, W)
    L_small: np.ndarray         # (h, w) float32 at working size
    scene: int
    shot: int
    shot_start: bool
    in_transition: bool
    guide: object = None        # memovid.motion.guide.Guidance from the shot's keyframes, or None
    semantic: object = None     # memovid.paint.semantic.SemanticGuide where no keyframe guides the frame
    frame: object = None        # the decoded full-size Frame, or None where the film is read twice


def _located(frames: Iterator, analysis: Analysis, shape: tuple[int, int], keep: bool = True) -> Iterator[_Item]:
    """frames: (H, W) uint8 luma (a black-and-white film) or (H, W, 3) RGB (see ``paint``); ``keep``:
    the items carry their full-size frame (else the finishing thread reads it again: _Pictures)."""
    from memovid.color.lab import frame_L

    timeline = _Timeline(analysis.table)
    for f in frames:
        with stage("resize to working size"):
            L_small = frame_L(cv2.resize(f.image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA))
        yield _Item(f.index, f.image.shape[:2], L_small, *timeline.at(f.index), frame=f if keep else None)


def _held_bytes(analysis: Analysis, config: ColorizeConfig, frame) -> int:
    """The most full-size picture bytes the keyframe chains would hold at once if the items kept their
    frames: the widest keyframe gap of any shot (within MAX_HELD: wider ones get direct warps and hold
    nothing) times one frame like ``frame`` (its picture and, from a deep source, its luma)."""
    if not (config.guidance and analysis.keyframes):
        return 0
    shots = analysis.table.shots
    gaps = [_widest_gap(shots[shot], numbers) for shot, numbers in analysis.keyframes_by_shot().items()]
    held = max((g for g in gaps if g <= MAX_HELD), default=0)
    return held * (frame.image.nbytes + (frame.luma.plane.nbytes if frame.luma is not None else 0))


class _Pictures:
    """The film's full-size frames, read a second time and handed out by index, in order (the
    finishing thread's side of pass 2 where the film is read twice; see the module doc; None: the
    film is read once). A context manager: leaving it closes the reader."""

    def __init__(self, frames: Iterator | None) -> None:
        self._frames = frames if frames is not None else iter(())

    def at(self, index: int):
        """The frame numbered ``index`` (indices asked for only ever grow)."""
        for frame in self._frames:
            if frame.index == index:
                return frame
            if frame.index > index:
                break
        raise RuntimeError(f"the second read of the film has no frame {index}")

    def __enter__(self) -> "_Pictures":
        return self

    def __exit__(self, *exc) -> None:
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()


def _guided(items: Iterator[_Item], analysis: Analysis, shape: tuple[int, int],
            config: ColorizeConfig, chroma_only: bool = False) -> Iterator[_Item]:
    """Attaches each frame's keyframe guidance, shot by shot, in display order; the keyframes' own
    colour is moved at the frame's size, or at the 4:2:0 chroma size (H/2, W/2) with ``chroma_only``.

    Chained flows (KeyframeGuide.guide_shot) follow the picture better than one long warp but hold
    frames back until the shot's next keyframe (with their full-size pictures only up to HELD_LIMIT:
    see the module doc); a shot whose keyframes are further apart than MAX_HELD frames gets direct
    warps instead, so memory stays bounded whatever the keyframe spacing.
    """
    from itertools import groupby

    from memovid.color.levels import l_to_l8

    for shot, group in groupby(items, key=lambda item: item.shot):
        first = next(group)
        group = chain([first], group)
        with stage("guide"):
            H, W = first.size
            colour_shape = (H // 2, W // 2) if chroma_only else (H, W)
            guide = _shot_guide(analysis, shot, shape, colour_shape, config) if config.guidance else None
        if guide is None or not guide.indices:
            yield from group
        elif _widest_gap(analysis.table.shots[shot], guide.indices) > MAX_HELD:
            for item in group:
                with stage("guide"):
                    item.guide = guide.guide_for(item.index, l_to_l8(item.L_small))
                yield item
        else:
            held: dict[int, _Item] = {}

            def feed(group=group, held=held):
                for item in group:
                    held[item.index] = item
                    yield item.index, l_to_l8(item.L_small)

            for index, g in timed("guide", guide.guide_shot(feed())):
                item = held.pop(index)
                item.guide = g
                yield item


def _attach_semantic(batch: list[_Item], analysis: Analysis, palettes: dict) -> None:
    """The semantic guide (memovid.paint.semantic) of each frame no keyframe of its shot guides, mixed
    with its shot's palette (``palettes``: shot -> memovid.paint.palette.Palette) where it has one."""
    bare = [item for item in batch if item.guide is None]
    if analysis.semantic is None or not bare:
        return
    with stage("semantic guide"):
        guides = analysis.semantic.guides([item.L_small for item in bare], [palettes.get(item.shot) for item in bare])
        for item, guide in zip(bare, guides):
            item.semantic = guide


def _widest_gap(span, indices: list[int]) -> int:
    """The most frames guide_shot would hold at once in this shot: the longest run before a keyframe."""
    edges = [span.start - 1, *indices]
    return max(b - a for a, b in zip(edges, edges[1:]))


def _trust_guide(painted: np.ndarray, guide, share: np.ndarray | None) -> np.ndarray:
    """Where a keyframe's moved colour is trusted, it is the colourist's own: keep ``share`` of it over
    the generator's guess (memovid.paint.trust: a curve over the flow's reliability, fitted on the film's
    own keyframes; 1 on a keyframe itself, falling at occlusions, new objects and wherever the tracking
    fails), so a keyframe comes out as painted and its neighbours stay close to it. Not by distance: a
    still background 100 frames from its keyframe has not changed colour, and the chained flow's
    reliability already falls where a long track drifts."""
    if guide is None:
        return painted
    w = share[..., None]
    return w * guide.ab + (1.0 - w) * painted


def _shot_guide(analysis: Analysis, shot: int, shape: tuple[int, int], full_shape: tuple[int, int],
                config: ColorizeConfig):
    """The shot's keyframes at working size, with their full-size colour where it can be read (read
    when a frame first needs it, a few at a time: memovid.motion.guide.LazyFull)."""
    from functools import partial

    from memovid.motion.guide import GuideConfig, KeyframeGuide, LazyFull
    from memovid.paint.paintings import full_size_ab

    guide = KeyframeGuide(GuideConfig(full_size=config.full_size_blend))
    span = analysis.table.shots[shot]
    for number, keyframe in analysis.keyframes.items():
        if span.start <= number < span.end:
            path = analysis.full_size.get(number)
            guide.add_keyframe(number, *at_size(keyframe, shape),
                               None if path is None else LazyFull(full_shape, partial(full_size_ab, path, keyframe, full_shape)))
    return guide


COLOUR_LOOK = 48  # frames _has_colour may read for one that is not a flat (black) picture


def _has_colour(input: Path) -> bool:
    """Whether the film is already in colour, judged on its first picture that is not flat (a colour
    film fading in from black starts with gray frames); colour input is fine (its lightness is
    used), said once, since the user may not expect it."""
    from memovid.video import read_frames

    frames = read_frames(input, mode="rgb", max_size=256)
    try:
        for _, frame in zip(range(COLOUR_LOOK), frames):
            if chroma(frame.image) > 4:
                warn_once(f"colour-input:{input}", "%s already has colour: only its lightness is used", input.name)
                return True
            if float(frame.image.std()) > 8:
                return False
    finally:
        frames.close()
    return False
