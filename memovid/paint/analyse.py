"""Pass 1 of colorize, at working size in gray: shots and scenes, one colour feature per scene, keyframes.

Frames query the memory (every ``query_every``-th, and every change of picture: ``_Asked``); each
top-k vote goes to its shot's ballot once the shot is certain, and the votes of each scene elect one
colour feature (memovid.paint.retrieval). The model's keyframes that are frames of this very film are
found here too (memovid.model.keyframes), and the mean luminance of every frame, for the fades.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from memovid.errors import InputError
from memovid.log import logger
from memovid.model.confidence import CONFIDENCE_FLOOR, Calibration
from memovid.model.inputs import L_tensor, batches
from memovid.paint.config import ColorizeConfig
from memovid.paint.fades import fade_gains
from memovid.paint.film import Film
from memovid.paint.retrieval import Ballot, Choice, choose
from memovid.progress import ProgressFn, no_progress
from memovid.scenes.representative import ShotSampler
from memovid.scenes.table import SceneTable
from memovid.timing import stage, timed


@dataclass(frozen=True)
class SceneReport:
    """What colorize decided for one scene (also the per-scene summary the CLI prints)."""

    scene: int
    start: int
    end: int
    slot: int | None            # the memory slot whose colour feature painted the scene
    memory_scene: int | None    # the training scene that slot came from
    confidence: float           # share of the scene the patch memory matches (memovid.paint.semantic), 0..1;
                                # without one (fewer than 2 keyframes): retrieval confidence (memovid.model.confidence)
    support: float              # share of the vote the winning memory scene got (0..1)
    keyframes: int              # keyframes of this film found inside the scene (motion guidance)
    unmatched_shots: tuple[int, ...] = ()  # its shots with no keyframe that the patch memory matches under CONFIDENCE_FLOOR

    @property
    def needs_keyframe(self) -> bool:
        return bool(self.unmatched_shots) or (self.keyframes == 0 and self.confidence < CONFIDENCE_FLOOR)


@dataclass(frozen=True)
class Analysis:
    """Pass 1's result: the scene table, per-scene choices, per-frame top-1 slots, usable keyframes."""

    table: SceneTable
    choices: list[Choice | None]
    frame_top1: np.ndarray          # (frames,) int32 slot per frame, for --retrieval frame
    keyframes: dict[int, object]    # frame number -> Keyframe verified against this film
    reports: list[SceneReport]
    frame_confidence: np.ndarray    # (frames,) float32 retrieval confidence per frame, 0..1 (memovid.model.confidence);
                                    # a frame not asked (query_every) reports the last one asked
    samples: list[tuple[int, np.ndarray]]  # (frame, query (d,)) spread over every shot (representative)
    fade_gain: dict[int, float] = field(default_factory=dict)  # frame in a fade -> chroma gain (memovid.paint.fades)
    semantic: object = None  # memovid.paint.semantic.SemanticSource, or None (too few keyframes, or off)

    def scene_samples(self, scene: int) -> list[tuple[int, np.ndarray]]:
        s = self.table.scenes[scene]
        return [(i, q) for i, q in self.samples if s.start <= i < s.end]

    def keyframes_by_shot(self) -> dict[int, list[int]]:
        """shot -> the frame numbers of its keyframes, ascending (shots without any are absent)."""
        by_shot: dict[int, list[int]] = {}
        for number in sorted(self.keyframes):
            by_shot.setdefault(self.table.shot_of(number), []).append(number)
        return by_shot


def analyse(film: Film, progress: ProgressFn = no_progress) -> Analysis:
    """Pass 1 (see module doc) of a film opened by memovid.paint.film.open_film; its shots and scenes
    are detected here unless it came with a scene table."""
    import torch

    from memovid.color.lab import luma_to_L
    from memovid.color.levels import L_to_L8
    from memovid.model.keyframes import KeyframeStore
    from memovid.scenes import SceneSplitter, SceneConfig
    from memovid.video import read_frames

    input, model, shape, config, table = film.path, film.model, film.shape, film.config, film.scenes
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
    semantic = _semantic_source(model, shape, config)
    matched: dict[int, float] = {}  # sampled frame -> share of its positions the patch memory matched
    # frames of the open shot to match once it closes (a shot with a keyframe of its own needs none)
    pictures, pictures_start = ShotSampler(MATCHED_PER_SHOT, np.float16), 0
    verified: dict[int, object] = {}
    done = 0
    frames = timed("decode, pass 1", read_frames(input, mode="gray", max_size=max(shape), prefetch=4,
                                                 deinterlace=config.deinterlace))
    asked = _Asked(1 if config.retrieval == "frame" else config.query_every)
    held = (-1, 0.0)  # the last queried frame's top-1 slot and similarity, which a frame not queried reports
    for batch in batches(frames, config.batch_size):
        with stage("resize to working size"):
            Ls = [luma_to_L(cv2.resize(f.image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)) for f in batch]
        row = {i: j for j, i in enumerate(i for i, (f, L) in enumerate(zip(batch, Ls)) if asked(f.index, L))}
        if row:
            with torch.inference_mode():
                with stage("query"):
                    q = model.query(L_tensor([Ls[i] for i in row], model.device))
                with stage("retrieval"):
                    found = memory.retrieve(q, k)
            slots = found.slots.cpu().numpy()
            sims = found.similarities.float().cpu().numpy()
            queries = q.float().cpu().numpy()
        batch_top1, batch_similarity = [], []
        for i, frame in enumerate(batch):
            j = row.get(i)
            if j is not None:
                votes.add(frame.index, slots[j], sims[j])
                held = (int(slots[j, 0]), float(sims[j, 0]) if slots[j, 0] >= 0 else 0.0)
            if splitter is not None:
                with stage("scene split"):
                    closed = [shot.end for shot in splitter.feed(frame)]
            else:
                closed = [frame.index] if frame.index in starts and frame.index > 0 else []
            for boundary in closed:
                votes.close_at(boundary)
            votes.settle(frame.index)
            if closed:
                samples += sampler.samples
                sampler = ShotSampler()
                if semantic is not None:
                    ends = max(closed)
                    if not any(pictures_start <= v < ends for v in verified):
                        _match(semantic, pictures.samples, matched)
                    pictures, pictures_start = ShotSampler(MATCHED_PER_SHOT, np.float16), ends
            if j is not None:
                sampler.add(frame.index, queries[j])
            keyframe = store.by_frame.get(frame.index)
            if keyframe is not None:
                L8 = L_to_L8(Ls[i])
                if keyframe.matches(L8):
                    verified[frame.index] = keyframe.on_film(L8)
            if semantic is not None:
                pictures.add(frame.index, lambda L=Ls[i]: L)
            batch_top1.append(held[0])
            batch_similarity.append(held[1])
        top1.append(np.array(batch_top1, np.int32))
        similarity.append(np.array(batch_similarity, np.float32))
        luma.append(np.array([L.mean() for L in Ls], np.float32))
        done += len(batch)
        progress("analysing", done, film.frames)
    if done == 0:
        raise InputError(f"{input}: no frames could be decoded")
    samples += sampler.samples
    if splitter is not None:
        table = splitter.finish()  # the boundaries of the film's last latency frames are known only now
        for shot in table.shots[1:]:
            if shot.start > votes.start:
                votes.close_at(shot.start)
    if semantic is not None:
        keyed_shots = {table.shot_of(v) for v in verified}  # the last shots' boundaries are final only now
        _match(semantic, [(f, L) for f, L in pictures.samples if table.shot_of(f) not in keyed_shots], matched)
    shot_ballots = votes.finish()
    ballots = _per_shot(shot_ballots, table)
    scene_ids = memory.scene_ids.cpu().numpy()
    calibration = Calibration.from_model(model)
    choices, reports = [], []
    keyed = {table.shot_of(number) for number in verified}
    matched_by_shot: dict[int, list[float]] = {}
    for f, m in matched.items():
        matched_by_shot.setdefault(table.shot_of(f), []).append(m)
    for s, scene in enumerate(table.scenes):
        merged = Ballot()
        for shot in scene.shots:
            merged = merged.merge(ballots[shot])
        choice = choose(merged, scene_ids)
        choices.append(choice)
        shares = {shot: _shot_share(table.shots[shot], shot in keyed, matched_by_shot.get(shot, []))
                  for shot in scene.shots} if semantic is not None else {}
        seen = [x for x in shares.values() if x is not None]
        unmatched = tuple(shot for shot, x in shares.items() if x is not None and x[0] < CONFIDENCE_FLOOR)
        reports.append(SceneReport(s, scene.start, scene.end, choice and choice.slot, choice and choice.memory_scene,
                                   float(np.average([x for x, _ in seen], weights=[n for _, n in seen]))
                                   if seen else calibration(merged.confidence),
                                   choice.support if choice else 0.0,
                                   sum(scene.start <= f < scene.end for f in verified), unmatched))
    if verified:
        logger.info("%d keyframes of the model are frames of %s: their colour follows the motion", len(verified), input.name)
    return Analysis(table, choices, np.concatenate(top1), verified, reports, calibration(np.concatenate(similarity)),
                    samples, fade_gain=fade_gains(table.transitions, np.concatenate(luma)), semantic=semantic)


def _shot_share(span, keyed: bool, matched: list[float]):
    """(share of the shot the memory or a keyframe can colour, frames) or None without a sample: 1 for a
    shot with a keyframe of its own (its colour moves from it), else the mean of its sampled frames'
    matched shares (``matched``)."""
    if keyed:
        return 1.0, span.end - span.start
    return (float(np.mean(matched)), span.end - span.start) if matched else None


MATCHED_PER_SHOT = 8  # frames of each shot pass 1 matches against the patch memory, for its confidence


def _match(semantic, wanted: list[tuple[int, np.ndarray]], matched: dict[int, float]) -> None:
    """The patch memory's matched share of each sampled (frame, L) of shots without a keyframe, into ``matched``."""
    for start in range(0, len(wanted), MATCHED_PER_SHOT):
        chunk = wanted[start:start + MATCHED_PER_SHOT]
        with stage("semantic match, pass 1"):
            shares = semantic.matched_share(semantic.matches([L.astype(np.float32) for _, L in chunk])[0])
        matched.update({f: float(m) for (f, _), m in zip(chunk, shares)})


def _semantic_source(model, shape: tuple[int, int], config: ColorizeConfig):
    """The film's semantic guide (memovid.paint.semantic), or None (turned off, or too few keyframes)."""
    if config.semantic == "off":
        return None
    from memovid.paint.semantic import SemanticSource

    return SemanticSource.of(model, shape, config.batch_size)


QUERY_CHANGE = 6.0  # mean |L| change (0-100) of a 16x9 thumbnail since the last queried frame that asks anew
QUERY_THUMB = (16, 9)


class _Asked:
    """Which frames pass 1 asks the memory about: every ``every``-th frame, and at once wherever the
    picture has changed since the last one asked (a cut, a fast pan), so that a new shot is asked
    from its first frame (a cut between two pictures alike in their 16x9 thumbnails waits up to
    ``every`` frames).

    The memory's answer is voted over whole shots and scenes, and consecutive frames of a shot ask
    nearly the same thing: the query (the backbone on every frame) was 16 ms of pass 1's 22 a frame
    at 720p (notes/MEASUREMENTS.md, stop 35)."""

    def __init__(self, every: int) -> None:
        self.every, self.last, self.thumb = every, None, None

    def __call__(self, index: int, L: np.ndarray) -> bool:
        if self.every == 1:
            return True
        thumb = cv2.resize(L, QUERY_THUMB, interpolation=cv2.INTER_AREA)
        if (self.last is not None and index - self.last < self.every
                and float(np.abs(thumb - self.thumb).mean()) < QUERY_CHANGE):
            return False
        self.last, self.thumb = index, thumb
        return True


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
    for start, ballot in ballots:
        shot = table.shot_of(start)
        out[shot] = out[shot].merge(ballot)
    return out
