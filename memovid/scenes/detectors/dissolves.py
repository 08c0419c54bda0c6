"""Dissolves: a run of frames each explained as a linear mix of the frames just before and after it."""

from __future__ import annotations

import functools

import cv2
import numpy as np

from memovid.scenes.detectors.base import SceneDetector
from memovid.scenes.features import change, normalised, shrink
from memovid.scenes.table import Transition

_PROBES = 7  # interior frames tested per window: enough to see a non-linear (motion) path


class DissolveDetector(SceneDetector):
    """A dissolve of frames [s, e) when every frame between the anchors p = s - 1 and q = e is
    close to (1 - a) * f_p + a * f_q with a growing from 0 to 1.

    For each new frame q, windows of several lengths ending at q are tested on half-size luma
    thumbnails: the anchors must differ (``dissolve_min_change``, and in structure, so a lighting
    change is not a dissolve), no single step may carry most of the change (that is a cut), and the
    probed interior frames must be linear mixes (``dissolve_max_residual`` of the anchor change).
    A camera move fails the mix test (halfway through a pan is not the average of its ends) and,
    for slow pans where it nearly passes, the anchors aligned by phase correlation must still
    differ by ``dissolve_min_unexplained`` of their change.
    Overlapping passing windows form one candidate; its span is the ramp a(t) fitted to the mix
    weights of the tightest window that carries the full change.
    """

    def __init__(self, config) -> None:
        super().__init__(config)
        lengths = np.geomspace(config.dissolve_min_len + 1, config.dissolve_max_len + 1, num=9)
        self.lengths = sorted({int(round(n)) for n in lengths})  # anchor distances q - p
        self.longest = self.lengths[-1]
        self.delay = 2 * self.longest + 2
        self._thumbs: dict[int, np.ndarray] = {}  # index -> (h/2, w/2) float32 luma in [0, 255]
        self._steps: dict[int, float] = {}  # index -> change from index - 1
        self._windows: list[tuple[int, int, float]] = []  # passing (p, q, change) of one candidate
        self._last = -1

    def process_frame(self, index: int, gray: np.ndarray) -> list[Transition]:
        thumb = shrink(gray, 2)
        previous = self._thumbs.get(index - 1)
        self._steps[index] = change(previous, thumb) if previous is not None else 0.0
        self._thumbs[index] = thumb
        self._last = index
        found: list[Transition] = []
        if self._windows and (
            self._windows[-1][1] < index - self.longest  # no later window can overlap it
            or self._windows[0][0] <= index - 2 * self.longest  # bounded memory on long motion
        ):
            found += self._finish_candidate()
        for p in (index - n for n in self.lengths):
            window = self._test(p, index)
            if window is not None:
                self._windows.append(window)
        for key in [k for k in self._thumbs if k < index - 2 * self.longest - 1]:
            del self._thumbs[key]
            self._steps.pop(key, None)
        return found

    def post_process(self) -> list[Transition]:
        return self._finish_candidate() if self._windows else []

    def _test(self, p: int, q: int) -> tuple[int, int, float] | None:
        config = self.config
        first, last = self._thumbs.get(p), self._thumbs[q]
        if first is None:
            return None
        total = change(first, last)
        if total < config.dissolve_min_change:
            return None
        if max(self._steps[k] for k in range(p + 1, q + 1)) > config.dissolve_max_step * total:
            return None
        if change(normalised(first), normalised(last)) < 0.3:
            return None  # same picture, other brightness: lighting or a fade, not a dissolve
        if _aligned_change(first, last) < config.dissolve_min_unexplained * total:
            return None  # a global shift of the first anchor explains the last: a pan, not a dissolve
        probes = np.unique(np.linspace(p + 1, q - 1, num=min(_PROBES, q - p - 1)).round().astype(int))
        weights, residuals = _mix_fit(first, last, np.stack([self._thumbs[k] for k in probes]))
        if residuals.max() > config.dissolve_max_residual * total:
            return None
        if np.any(np.diff(weights) < -0.1) or weights[-1] - weights[0] < 0.3:
            return None
        return p, q, total

    def _finish_candidate(self) -> list[Transition]:
        windows = [w for w in self._windows if w[0] in self._thumbs]
        self._windows = []
        if not windows:
            return []
        strongest = max(total for _, _, total in windows)
        # the tightest window that still carries (nearly) the whole change brackets the dissolve
        p, q, _ = min((w for w in windows if w[2] >= 0.95 * strongest), key=lambda w: w[1] - w[0])
        frames = np.stack([self._thumbs[k] for k in range(p + 1, q)])
        weights, _ = _mix_fit(self._thumbs[p], self._thumbs[q], frames)
        start, end = _fit_ramp(np.concatenate([[0.0], weights, [1.0]]))
        if end - start < self.config.dissolve_min_len:
            return []
        return [Transition(p + start, p + end, "dissolve")]


def _aligned_change(first: np.ndarray, last: np.ndarray) -> float:
    """Mean |last - first shifted by the phase-correlation shift| over the overlap (luma units)."""
    height, width = first.shape
    # the Hann window keeps the picture borders from dominating the correlation; OpenCV applies
    # it in place, hence the copies
    (dx, dy), _ = cv2.phaseCorrelate(first.copy(), last.copy(), _hann(height, width))
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    moved = cv2.warpAffine(first, shift, (width, height), flags=cv2.INTER_LINEAR)
    x0, x1 = int(np.ceil(max(dx, 0))), width - int(np.ceil(max(-dx, 0)))
    y0, y1 = int(np.ceil(max(dy, 0))), height - int(np.ceil(max(-dy, 0)))
    if x1 - x0 < width // 2 or y1 - y0 < height // 2:
        return float("inf")  # shifted by more than half the picture: no evidence of a pan
    # compared a little blurred: sub-pixel resampling error is not picture change
    blur = functools.partial(cv2.GaussianBlur, ksize=(0, 0), sigmaX=1.0)
    return change(blur(moved[y0:y1, x0:x1]), blur(last[y0:y1, x0:x1]))


@functools.lru_cache(maxsize=4)
def _hann(height: int, width: int) -> np.ndarray:
    return cv2.createHanningWindow((width, height), cv2.CV_32F)


def _mix_fit(first: np.ndarray, last: np.ndarray, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares a with frames ~ (1 - a) first + a last.

    frames: (n, h, w) float32. Returns (n,) weights and (n,) mean absolute residuals (luma units).
    """
    direction = (last - first).ravel()
    offsets = frames.reshape(len(frames), -1) - first.ravel()
    weights = offsets @ direction / max(float(direction @ direction), 1e-6)
    residuals = np.abs(offsets - weights[:, None] * direction).mean(axis=1)
    return weights, residuals


def _fit_ramp(weights: np.ndarray) -> tuple[int, int]:
    """Best clipped linear ramp through mix weights of frames 0..n (anchors included).

    Returns (s, e): frames s..e-1 are mixes, weight (t - s + 1) / (e - s + 1), 0 before, 1 from e.
    """
    n = len(weights) - 1
    t = np.arange(n + 1, dtype=np.float64)
    starts, ends = np.meshgrid(np.arange(1, n + 1), np.arange(1, n + 1), indexing="ij")
    valid = ends >= starts
    widths = np.maximum(ends - starts + 1, 1)[..., None]  # invalid pairs (end < start) masked below
    ramps = np.clip((t - starts[..., None] + 1) / widths, 0, 1)
    errors = ((ramps - weights) ** 2).sum(axis=-1)
    errors[~valid] = np.inf
    s, e = np.unravel_index(int(np.argmin(errors)), errors.shape)
    return int(starts[s, e]), int(ends[s, e])
