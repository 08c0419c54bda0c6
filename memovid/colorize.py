"""``memovid colorize``: paint a black-and-white film with a trained model, scene by scene.

Two streaming passes over the film, memory flat in its length:

1. analysis, at working size in gray: split shots and scenes (unless a scene table is given), query
   the memory for every frame, let the frames of each scene vote for one colour feature
   (memovid.retrieval), and find the model's keyframes that are frames of this very film;
2. painting, at full size: the generator paints ab at working size from the luminance, the scene's
   colour feature and, where the shot has keyframes, their motion-warped ab (memovid.guide);
   chroma is held steady within each shot (memovid.temporal), upsampled edge-aware onto the ORIGINAL
   full-resolution luminance (grain and detail kept) and encoded with the source's sound. Where a
   keyframe's full-size painting can be read, its colour is moved at full size and kept over the
   upsampled guess by a trust curve over the flow's reliability, fitted on the film's own keyframes
   (memovid.trust; the fits are in memovid.shares): a colourist's keyframe comes out at its own resolution.
   In fades, chroma dims with the light (memovid.fades).

Decoding runs in a background thread (bounded queue) while the model works in batches.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from memovid.confidence import CONFIDENCE_FLOOR, Calibration
from memovid.config import ColorizeConfig
from memovid.errors import InputError
from memovid.fades import fade_gains
from memovid.log import logger, warn_once
from memovid.progress import ProgressFn, no_progress
from memovid.representative import ShotSampler
from memovid.retrieval import Ballot, Choice, choose
from memovid.samples import working_shape
from memovid.shares import PaletteShares, fit_trust, shot_palettes
from memovid.working import L_tensor, at_size, batches, guide_tensor



@dataclass(frozen=True)
class SceneReport:
    """What colorize decided for one scene (also the per-scene summary the CLI prints)."""

    scene: int
    start: int
    end: int
    slot: int | None            # the memory slot whose colour feature painted the scene
    memory_scene: int | None    # the training scene that slot came from
    confidence: float           # retrieval confidence of the scene's frames, 0..1 (memovid.confidence)
    support: float              # share of the vote the winning memory scene got (0..1)
    keyframes: int              # keyframes of this film found inside the scene (motion guidance)

    @property
    def needs_keyframe(self) -> bool:
        return self.keyframes == 0 and self.confidence < CONFIDENCE_FLOOR


@dataclass(frozen=True)
class ColorizeResult:
    output: Path
    frames: int
    seconds: float
    scenes: list[SceneReport] = field(default_factory=list)
    analysis: "Analysis | None" = field(default=None, repr=False)  # pass 1, for a report without a re-run

    @property
    def fps(self) -> float:
        return self.frames / max(self.seconds, 1e-9)


@dataclass
class Analysis:
    """Pass 1's result: the scene table, per-scene choices, per-frame top-1 slots, usable keyframes."""

    table: object
    choices: list[Choice | None]
    frame_top1: np.ndarray          # (frames,) int32 slot per frame, for --retrieval frame
    keyframes: dict[int, object]    # frame number -> Keyframe verified against this film
    reports: list[SceneReport]
    frame_confidence: np.ndarray    # (frames,) float32 retrieval confidence per frame, 0..1 (memovid.confidence)
    samples: list[tuple[int, np.ndarray]]  # (frame, query (d,)) spread over every shot (representative)
    full_size: dict[int, Path] = field(default_factory=dict)  # keyframe frame -> its full-size image
    fade_gain: dict[int, float] = field(default_factory=dict)  # frame in a fade -> chroma gain (memovid.fades)

    def scene_samples(self, scene: int) -> list[tuple[int, np.ndarray]]:
        s = self.table.scenes[scene]
        return [(i, q) for i, q in self.samples if s.start <= i < s.end]


def colorize(input: str | Path, model, output: str | Path, *, config: ColorizeConfig = ColorizeConfig(),
             temporal=None, encode=None, scenes=None, keyframes=(), overwrite: bool = False,
             progress: ProgressFn = no_progress) -> ColorizeResult:
    """Colorize ``input`` with ``model`` (a MemoModel or a .memo path) into ``output``.

    temporal: memovid.temporal.TemporalConfig (default: flow smoothing). encode:
    memovid.video.EncodeOptions. scenes: a SceneTable or a scene JSON path to use instead of detection.
    keyframes: folders of the model's keyframes painted at full size (named by frame number); the
    paths the model recorded are tried too (memovid.keyframes.full_size_sources).
    """
    from memovid.temporal import TemporalConfig
    from memovid.video import EncodeOptions, check_paths

    input, output = Path(input), Path(output)
    check_paths(input, output, overwrite)
    started = time.perf_counter()
    for folder in keyframes:
        if not Path(folder).is_dir():
            raise InputError(f"{folder}: keyframe folder does not exist")
    info, model, shape, scenes = prepare(input, model, config, scenes)
    analysis = analyse(input, model, shape, config, scenes, progress)
    if config.guidance:
        from memovid.keyframes import full_size_sources, missing_paintings

        analysis.full_size = full_size_sources(analysis.keyframes, [Path(k) for k in keyframes])
        if analysis.full_size:
            logger.info("%d of %d keyframes are moved at full size", len(analysis.full_size), len(analysis.keyframes))
        missing = missing_paintings(analysis.keyframes, analysis.full_size)
        if missing:
            logger.warning("%d keyframe paintings not found (%s%s): their working-size copies are used; "
                           "--keyframes DIR says where they are", len(missing), missing[0], ", ..." if len(missing) > 1 else "")
    frames = paint(input, output, model, analysis, shape, config, temporal or TemporalConfig(),
                   encode or EncodeOptions(), overwrite, info.frames, progress)
    return ColorizeResult(output, frames, time.perf_counter() - started, analysis.reports, analysis)


def prepare(input: Path, model, config: ColorizeConfig, scenes):
    """What pass 1 needs, shared by colorize, suggest and report: (probe info, the model on its
    device in eval mode, the working shape (h, w), a SceneTable or None to detect)."""
    from memovid.device import resolve_device
    from memovid.model.bundle import MemoModel
    from memovid.scenes import load_scene_table
    from memovid.video import probe

    info = probe(input)
    device = resolve_device(config.device)
    model = model.to(device) if isinstance(model, MemoModel) else MemoModel.load(model, device=device)
    model.eval()
    if scenes is not None and not hasattr(scenes, "scenes"):
        scenes = load_scene_table(scenes, frames=info.frames if not info.frames_estimated else None)
    size = config.size or int(model.metadata.get("train", {}).get("size", 256))
    return info, model, working_shape(info.height, info.width, size), scenes


def analyse(input: Path, model, shape: tuple[int, int], config: ColorizeConfig, table,
            progress: ProgressFn = no_progress) -> Analysis:
    """Pass 1 (see module doc). ``table`` None: shots and scenes are detected here."""
    import torch

    from memovid.color.lab import luma_to_L
    from memovid.flow import l_to_l8
    from memovid.keyframes import KeyframeStore
    from memovid.scenes import SceneSplitter, SceneConfig
    from memovid.video import read_frames

    splitter = SceneSplitter(SceneConfig()) if table is None else None
    memory = model.memory
    k = min(model.config.memory.k_for(model.config.feature), max(1, int(memory.filled.sum())))
    store = KeyframeStore.from_model(model)
    votes = _Votes(splitter.latency if splitter is not None else 0)
    starts = {shot.start for shot in table.shots} if table is not None else set()
    top1: list[np.ndarray] = []
    similarity: list[np.ndarray] = []
    luma: list[np.ndarray] = []  # mean L per frame: a few bytes a frame, for the fades
    sampler, samples = ShotSampler(), []
    verified: dict[int, object] = {}
    done = 0
    frames = read_frames(input, mode="gray", max_size=max(shape), prefetch=4)
    for batch in batches(frames, config.batch_size):
        Ls = [luma_to_L(cv2.resize(f.image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)) for f in batch]
        with torch.inference_mode():
            q = model.query(L_tensor(Ls, model.device))
            found = memory.retrieve(q, k)
        slots = found.slots.cpu().numpy()
        sims = found.similarities.float().cpu().numpy()
        queries = q.float().cpu().numpy()
        for i, frame in enumerate(batch):
            votes.add(frame.index, slots[i], sims[i])
            if splitter is not None:
                closed = [shot.end for shot in splitter.feed(frame)]
            else:
                closed = [frame.index] if frame.index in starts and frame.index > 0 else []
            for boundary in closed:
                votes.close_at(boundary)
            votes.settle(frame.index)
            if closed:
                samples += sampler.samples
                sampler = ShotSampler()
            sampler.add(frame.index, queries[i])
            keyframe = store.by_frame.get(frame.index)
            if keyframe is not None:
                L8 = l_to_l8(Ls[i])
                if keyframe.matches(L8):
                    verified[frame.index] = keyframe.on_film(L8)
        top1.append(slots[:, 0].astype(np.int32))
        luma.append(np.array([L.mean() for L in Ls], np.float32))
        similarity.append(np.where(slots[:, 0] >= 0, sims[:, 0], 0.0).astype(np.float32))
        done += len(batch)
        progress("analysing", done, None)
    if done == 0:
        raise InputError(f"{input}: no frames could be decoded")
    samples += sampler.samples
    if splitter is not None:
        table = splitter.finish()  # the boundaries of the film's last latency frames are known only now
        for shot in table.shots[1:]:
            if shot.start > votes.start:
                votes.close_at(shot.start)
    shot_ballots = votes.finish()
    ballots = _per_shot(shot_ballots, table)
    scene_ids = memory.scene_ids.cpu().numpy()
    calibration = Calibration.from_model(model)
    choices, reports = [], []
    for s, scene in enumerate(table.scenes):
        merged = Ballot()
        for shot in scene.shots:
            merged = merged.merge(ballots[shot])
        choice = choose(merged, scene_ids)
        choices.append(choice)
        reports.append(SceneReport(s, scene.start, scene.end, choice and choice.slot,
                                   choice and choice.memory_scene, calibration(merged.confidence),
                                   choice.support if choice else 0.0,
                                   sum(scene.start <= f < scene.end for f in verified)))
    if verified:
        logger.info("%d keyframes of the model are frames of %s: their colour follows the motion", len(verified), input.name)
    return Analysis(table, choices, np.concatenate(top1), verified, reports, calibration(np.concatenate(similarity)),
                    samples, fade_gain=fade_gains(table.transitions, np.concatenate(luma)))


class _Votes:
    """Each frame's top-k vote goes to the ballot of its shot, once that shot is certain.

    The splitter reports a boundary up to ``latency`` frames after it; votes wait in a queue of at
    most that many frames, so a late-detected cut never hands one shot's frames to the other.
    """

    def __init__(self, latency: int) -> None:
        self.latency = latency
        self.pending: deque[tuple[int, np.ndarray, np.ndarray]] = deque()
        self.ballot, self.start = Ballot(), 0
        self.closed: list[tuple[int, Ballot]] = []  # (shot start, ballot)

    def add(self, index: int, slots: np.ndarray, similarities: np.ndarray) -> None:
        self.pending.append((index, slots, similarities))

    def close_at(self, boundary: int) -> None:
        """A shot ended before frame ``boundary``."""
        self._flush(boundary)
        self.closed.append((self.start, self.ballot))
        self.ballot, self.start = Ballot(), boundary

    def settle(self, index: int) -> None:
        """Frames older than the splitter's latency can only be in the open shot."""
        self._flush(index - self.latency + 1)

    def finish(self) -> list[tuple[int, Ballot]]:
        self._flush(None)
        return self.closed + [(self.start, self.ballot)]

    def _flush(self, before: int | None) -> None:
        while self.pending and (before is None or self.pending[0][0] < before):
            _, slots, similarities = self.pending.popleft()
            self.ballot.add(slots, similarities)


def _per_shot(ballots: list[tuple[int, Ballot]], table) -> list[Ballot]:
    """Ballots per final shot: each provisional shot's ballot goes to the final shot holding its start
    (the splitter's final list can differ when it merges short shots at the end)."""
    out = [Ballot() for _ in table.shots]
    i = 0
    for start, ballot in ballots:
        while i < len(table.shots) - 1 and start >= table.shots[i].end:
            i += 1
        out[i] = out[i].merge(ballot)
    return out


class _Timeline:
    """Walks a scene table frame by frame: which scene and shot, shot start, inside a transition."""

    def __init__(self, table) -> None:
        self.table = table
        self.shot = self.scene = 0
        scene_of_shot = {i: s for s, scene in enumerate(table.scenes) for i in scene.shots}
        self.scene_of_shot = [scene_of_shot.get(i, 0) for i in range(len(table.shots))]
        self.transition = iter(sorted((t for t in table.transitions if t.end > t.start), key=lambda t: t.start))
        self.next_transition = next(self.transition, None)

    def at(self, index: int) -> tuple[int, int, bool, bool]:
        """(scene, shot, shot_start, in_transition) for frame ``index`` (called in increasing order)."""
        shots = self.table.shots
        while self.shot < len(shots) - 1 and index >= shots[self.shot].end:
            self.shot += 1
        while self.next_transition is not None and index >= self.next_transition.end:
            self.next_transition = next(self.transition, None)
        in_transition = self.next_transition is not None and self.next_transition.start <= index
        return self.scene_of_shot[self.shot], self.shot, index == shots[self.shot].start, in_transition


def _feature_table(model, analysis: Analysis):
    """(scene -> feature (d,)) tensors and the fallback for a scene with no vote (the memory's mean)."""
    values = model.memory.values
    filled = model.memory.filled
    fallback = values[filled].mean(0) if bool(filled.any()) else values.new_zeros(values.shape[1])
    return [values[c.slot] if c is not None else fallback for c in analysis.choices], fallback


MAX_HELD = 120  # frames guide_shot may hold back waiting for the next keyframe; longer gaps use direct warps
HELD_BYTES = 512 << 20  # ... and at most this much of held full-size frames (fewer frames at 4K)


def paint(input: Path, output: Path, model, analysis: Analysis, shape: tuple[int, int],
          config: ColorizeConfig, temporal, encode, overwrite: bool, total: int | None,
          progress: ProgressFn = no_progress) -> int:
    """Pass 2 (see module doc). Returns the number of frames written."""
    import torch

    from memovid.color.lab import L_from_rgb8, lab_to_rgb8
    from memovid.temporal import make_smoother
    from memovid.upsample import UPSAMPLERS
    from memovid.video import open_writer, read_frames

    upsample = UPSAMPLERS[config.upsample]
    smoother = make_smoother(temporal)
    scene_features, fallback = _feature_table(model, analysis)
    curve = fit_trust(model, analysis, shape, scene_features, config)
    palette_shares = PaletteShares(*shot_palettes(model, analysis, shape, config))
    values = model.memory.values
    done = 0
    frames = read_frames(input, mode="rgb", prefetch=4)
    with open_writer(output, source=input, options=encode, overwrite=overwrite) as writer:
        for batch in batches(_guided(_located(frames, analysis, shape, input), analysis, shape, config),
                              config.batch_size):
            features = []
            for item in batch:
                if config.retrieval == "frame" and item.frame.index < len(analysis.frame_top1):
                    slot = int(analysis.frame_top1[item.frame.index])
                    features.append(values[slot] if slot >= 0 else fallback)
                else:
                    features.append(scene_features[item.scene] if item.scene < len(scene_features) else fallback)
            guides = [item.guide for item in batch]
            with torch.inference_mode():
                ab = model.colorize(L_tensor([item.L_small for item in batch], model.device),
                                    torch.stack(features).to(model.device), guide_tensor(guides, shape, model.device))
            ab = palette_shares.apply(batch, ab.float().permute(0, 2, 3, 1).cpu().numpy())  # (B, h, w, 2), Lab
            for item, painted in zip(batch, ab):
                share = None if item.guide is None else curve(item.guide.trust)
                painted = _trust_guide(painted, item.guide, share)
                smooth = smoother.process(item.L_small, painted, shot_start=item.shot_start,
                                          in_transition=item.in_transition)
                L_full = L_from_rgb8(item.frame.image)                         # (H, W) in [0, 100]
                ab_full = _trust_full_size(upsample(smooth, item.L_small, L_full), item.guide, share)
                ab_full *= np.float32(analysis.fade_gain.get(item.frame.index, 1.0))  # fades dim colour too
                rgb = lab_to_rgb8(np.concatenate([L_full[..., None], ab_full], axis=2))
                writer.write(item.frame.with_image(rgb))
            done += len(batch)
            progress("colorizing", done, total)
    return done


@dataclass
class _Item:
    """One frame on its way through pass 2."""

    frame: object
    L_small: np.ndarray         # (h, w) float32 at working size
    scene: int
    shot: int
    shot_start: bool
    in_transition: bool
    guide: object = None        # memovid.guide.Guidance from the shot's keyframes, or None


def _located(frames: Iterator, analysis: Analysis, shape: tuple[int, int], input: Path) -> Iterator[_Item]:
    from memovid.color.lab import L_from_rgb8

    timeline = _Timeline(analysis.table)
    for n, f in enumerate(frames):
        if n == 0:
            _warn_if_colour(f.image, input)
        L_small = L_from_rgb8(cv2.resize(f.image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA))
        yield _Item(f, L_small, *timeline.at(f.index))


def _guided(items: Iterator[_Item], analysis: Analysis, shape: tuple[int, int],
            config: ColorizeConfig) -> Iterator[_Item]:
    """Attaches each frame's keyframe guidance, shot by shot, in display order.

    Chained flows (KeyframeGuide.guide_shot) follow the picture better than one long warp but hold
    frames back until the shot's next keyframe; a shot whose keyframes are further apart than
    MAX_HELD frames (or HELD_BYTES of frames) gets direct warps instead, so memory stays bounded
    whatever the keyframe spacing and the frame size.
    """
    from itertools import chain, groupby

    from memovid.flow import l_to_l8

    for shot, group in groupby(items, key=lambda item: item.shot):
        first = next(group)
        group = chain([first], group)
        guide = _shot_guide(analysis, shot, shape, first.frame.image.shape[:2]) if config.guidance else None
        if guide is None or not guide.indices:
            yield from group
        elif _widest_gap(analysis.table.shots[shot], guide.indices) > _max_held(first.frame.image):
            for item in group:
                item.guide = guide.guide_for(item.frame.index, l_to_l8(item.L_small))
                yield item
        else:
            held: dict[int, _Item] = {}

            def feed(group=group, held=held):
                for item in group:
                    held[item.frame.index] = item
                    yield item.frame.index, l_to_l8(item.L_small)

            for index, g in guide.guide_shot(feed()):
                item = held.pop(index)
                item.guide = g
                yield item


def _max_held(image: np.ndarray) -> int:
    """Frames of this size that guide_shot may hold: MAX_HELD, fewer for large frames, never under 8."""
    return max(8, min(MAX_HELD, HELD_BYTES // max(image.nbytes, 1)))


def _widest_gap(span, indices: list[int]) -> int:
    """The most frames guide_shot would hold at once in this shot: the longest run before a keyframe."""
    edges = [span.start - 1, *indices]
    return max(b - a for a, b in zip(edges, edges[1:]))


def _trust_guide(painted: np.ndarray, guide, share: np.ndarray | None) -> np.ndarray:
    """Where a keyframe's moved colour is trusted, it is the colourist's own: keep ``share`` of it over
    the generator's guess (memovid.trust: a curve over the flow's reliability, fitted on the film's
    own keyframes; 1 on a keyframe itself, falling at occlusions, new objects and wherever the tracking
    fails), so a keyframe comes out as painted and its neighbours stay close to it. Not by distance: a
    still background 100 frames from its keyframe has not changed colour, and the chained flow's
    reliability already falls where a long track drifts."""
    if guide is None:
        return painted
    w = share[..., None]
    return w * guide.ab + (1.0 - w) * painted


def _trust_full_size(ab_full: np.ndarray, guide, share: np.ndarray | None) -> np.ndarray:
    """The same share at full size, where the keyframes' full-size colour was moved (see _trust_guide):
    the upsampled guess keeps only what the keyframes do not vouch for."""
    if guide is None or guide.full_ab is None:
        return ab_full
    h, w = ab_full.shape[:2]
    share = cv2.resize(share, (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
    return share * guide.full_ab + (1.0 - share) * ab_full


def _shot_guide(analysis: Analysis, shot: int, shape: tuple[int, int], full_shape: tuple[int, int]):
    """The shot's keyframes at working size, with their full-size colour where it can be read (read
    here, one shot at a time, so that memory holds one shot's keyframes at full size)."""
    from memovid.guide import KeyframeGuide
    from memovid.keyframes import full_size_ab

    guide = KeyframeGuide()
    span = analysis.table.shots[shot]
    for number, keyframe in analysis.keyframes.items():
        if span.start <= number < span.end:
            path = analysis.full_size.get(number)
            guide.add_keyframe(number, *at_size(keyframe, shape),
                               None if path is None else full_size_ab(path, keyframe, full_shape))
    return guide


def _warn_if_colour(rgb: np.ndarray, input: Path) -> None:
    """Colour input is fine (its luminance is used); say so once, since the user may not expect it."""
    small = rgb[::8, ::8].astype(np.int16)
    if np.abs(small - small.mean(axis=2, keepdims=True)).mean() > 4:
        warn_once(f"colour-input:{input}", "%s already has colour: only its luminance is used", input.name)
