"""Streaming scene splitting: frames in, final shots out with bounded delay, a SceneTable at the end."""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import numpy as np

from memovid.errors import InputError
from memovid.log import warn_once
from memovid.progress import ProgressFn
from memovid.scenes.config import SceneConfig
from memovid.scenes.detectors import make_detectors
from memovid.scenes.features import to_working_gray, working_size
from memovid.scenes.grouping import group_shots
from memovid.scenes.signature import Sample, sample_frame, spread
from memovid.scenes.table import SceneTable, Shot, Transition
from memovid.video.frame import Frame

# When two boundaries are closer than min_shot_len, the stronger survives: a fade-in marks where
# the new picture starts, a fade-out's end only where black starts.
_PRIORITY = {"fade_in": 3, "cut": 2, "dissolve": 2, "fade_out": 1}
_MAX_SAMPLES = 48  # per open shot; thinned by doubling the stride, so memory is bounded


class SceneSplitter:
    """Feed frames one by one; get shots as they become final; ``finish()`` gives the SceneTable.

    Every frame belongs to exactly one shot: a dissolve is split at its midpoint, a fade stays with
    the shot that fades (out) or appears (in), a short black hold between a fade-out and a fade-in
    goes with the shot before. Transitions are kept separately in the table. Shots are final at most
    about ``latency`` frames after their end; memory holds that many small thumbnails plus one tiny
    signature per shot.
    """

    def __init__(self, config: SceneConfig | None = None, fps: float | None = None) -> None:
        self.config = config or SceneConfig()
        if fps is not None and not fps > 0:
            raise InputError(f"fps must be positive, got {fps}")
        self.detectors = make_detectors(self.config)
        self._span = max(self.config.fade_max_len, self.config.dissolve_max_len) + 1
        self.latency = max(d.delay for d in self.detectors) + self._span + self.config.min_shot_len
        self._fps = fps
        self._times: list[float] = []
        self._size: tuple[int, int] | None = None
        self._count = 0
        self._unsettled: list[Transition] = []
        self._recent_gradual: list[Transition] = []
        self._transitions: list[Transition] = []
        self._candidates: list[tuple[int, int, Transition]] = []  # (boundary, priority, t), sorted
        self._kept: tuple[int, int, Transition] | None = None
        self._shot_start = 0
        self._shots: list[Shot] = []
        self._signatures: list[list[Sample]] = []
        self._samples: list[Sample] = []
        self._stride = 1
        self._finished = False

    def feed(self, frame: Frame) -> list[Shot]:
        """Take the next frame (RGB or gray, any size); return the shots that became final."""
        if self._finished:
            raise InputError("SceneSplitter.feed() called after finish()")
        image = frame.image
        if self._size is None:
            if image.ndim < 2:
                raise InputError(f"frame {frame.index}: expected (H, W) or (H, W, 3), got {image.shape}")
            self._size = working_size(image.shape[0], image.shape[1], self.config.work_size)
        gray = to_working_gray(image, self._size)  # (h, w) uint8, luma 0-255
        index = self._count
        self._count += 1
        if self._fps is None and frame.time is not None and len(self._times) < 25:
            self._times.append(frame.time)
        for detector in self.detectors:
            self._unsettled += detector.process_frame(index, gray)
        if index % self._stride == 0:
            self._samples.append(sample_frame(index, gray, self.config.signature_size))
            if len(self._samples) > _MAX_SAMPLES:
                self._samples = self._samples[::2]
                self._stride *= 2
        known_before = index + 1 - max(d.delay for d in self.detectors)
        return self._advance(known_before - self._span)

    def finish(self) -> SceneTable:
        """The film ended: flush the detectors, close the last shot, group shots into scenes."""
        if not self._finished:
            self._finished = True
            for detector in self.detectors:
                self._unsettled += detector.post_process()
            self._advance(None)
            if self._kept is not None and self._count - self._kept[0] >= self.config.min_shot_len:
                self._close_shot(self._kept)
            self._kept = None
            if self._count > self._shot_start:
                self._close_shot((self._count, 0, None))
        return SceneTable(
            fps=self.fps,
            frames=self._count,
            shots=list(self._shots),
            transitions=sorted(self._transitions, key=lambda t: (t.start, t.end)),
            scenes=group_shots(self._shots, self._signatures, self._fade_breaks(), self.config),
        )

    @property
    def fps(self) -> float:
        if self._fps is not None:
            return float(self._fps)
        steps = np.diff(self._times)
        steps = steps[steps > 0]
        if len(steps):
            return float(round(1.0 / float(np.median(steps)), 3))
        warn_once("scenes-fps", "frame rate unknown (no timestamps): assuming 25 fps for timecodes")
        return 25.0

    def _advance(self, settle_before: int | None) -> list[Shot]:
        """Settle transitions starting before ``settle_before`` (None: all), then make final every
        boundary that no later candidate can still displace."""
        done_before = len(self._shots)
        self._unsettled.sort(key=lambda t: (t.start, t.end))
        while self._unsettled and (settle_before is None or self._unsettled[0].start < settle_before):
            self._settle(self._unsettled.pop(0))
        min_len = self.config.min_shot_len
        while self._candidates and (settle_before is None or self._candidates[0][0] < settle_before):
            candidate = self._candidates.pop(0)
            boundary = candidate[0]
            if boundary - self._shot_start < min_len or boundary >= self._count:
                continue
            if self._kept is None:
                self._kept = candidate
            elif boundary - self._kept[0] < min_len:
                if (candidate[1], candidate[2].strength) > (self._kept[1], self._kept[2].strength):
                    self._kept = candidate
            else:
                self._close_shot(self._kept)
                self._kept = candidate if boundary - self._shot_start >= min_len else None
        if self._kept is not None and settle_before is not None and (
            self._kept[0] + min_len <= settle_before
        ):
            self._close_shot(self._kept)
            self._kept = None
        return self._shots[done_before:]

    def _settle(self, transition: Transition) -> None:
        """Resolve overlaps: a cut inside a gradual transition is part of it; a fade beats a
        dissolve over the same frames (fading to black is a dissolve with black)."""
        known = self._recent_gradual + self._unsettled
        if transition.kind == "cut":
            if any(g.kind != "cut" and g.start <= transition.start <= g.end for g in known):
                return
        elif transition.kind == "dissolve":
            if any(g.kind.startswith("fade") and g.start < transition.end and transition.start < g.end
                   for g in known):
                return
        if transition.kind != "cut":
            self._transitions.append(transition)
            self._recent_gradual = [
                g for g in self._recent_gradual if g.end >= transition.start - 2 * self._span
            ] + [transition]
        bisect.insort(self._candidates, (transition.boundary, _PRIORITY[transition.kind], transition),
                      key=lambda c: (c[0], -c[1]))

    def _close_shot(self, candidate: tuple[int, int, Transition | None]) -> None:
        boundary, _, transition = candidate
        if transition is not None and transition.kind == "cut":
            self._transitions.append(transition)
        shot = Shot(self._shot_start, boundary)
        mine = [s for s in self._samples if s.index < boundary]
        self._samples = [s for s in self._samples if s.index >= boundary]
        clean = [s for s in mine if not any(g.start <= s.index < g.end for g in self._transitions)]
        self._signatures.append(spread(clean or mine, self.config.signature_samples))
        self._shots.append(shot)
        self._shot_start = boundary
        while self._stride > 1 and 2 * len(self._samples) <= _MAX_SAMPLES // 2:
            self._stride //= 2

    def _fade_breaks(self) -> set[int]:
        """Indices of shots that a fade to or from black starts."""
        starts = [shot.start for shot in self._shots]
        breaks: set[int] = set()
        if not self.config.fade_breaks_scene or len(starts) < 2:
            return breaks
        for transition in self._transitions:
            if transition.kind.startswith("fade"):
                nearest = min(range(1, len(starts)), key=lambda j: abs(starts[j] - transition.boundary))
                if abs(starts[nearest] - transition.boundary) <= self.config.fade_max_len:
                    breaks.add(nearest)
        return breaks


def detect_scenes(
    frames: Iterable[Frame],
    config: SceneConfig | None = None,
    progress: ProgressFn | None = None,
    fps: float | None = None,
    total: int | None = None,
) -> SceneTable:
    """Split a stream of frames into shots and scenes (one pass, bounded memory).

    fps: the video's frame rate for timecodes (estimated from frame timestamps when None);
    total: the expected frame count, only for progress reports.
    """
    splitter = SceneSplitter(config, fps=fps)
    for count, frame in enumerate(frames, start=1):
        splitter.feed(frame)
        if progress is not None and (count % 25 == 0 or count == total):
            progress("scenes", count, total)
    return splitter.finish()


def split_file(path, config: SceneConfig | None = None, progress: ProgressFn | None = None) -> SceneTable:
    """Shots and scenes of a video file or image sequence, decoded once in gray at the working size."""
    from memovid.video import probe, read_frames

    config = config or SceneConfig()
    info = probe(path)
    frames = read_frames(path, mode="gray", max_size=config.work_size, prefetch=8)
    return detect_scenes(frames, config, progress, fps=float(info.fps) if info.fps else None,
                         total=None if info.frames_estimated else info.frames)
