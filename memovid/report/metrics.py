"""Frame-aligned quality figures of a coloured video against its colour original (``memovid eval``).

Per frame, on (H, W, 3) uint8 RGB:
- PSNR on RGB, 8-bit peak (dB; infinite for identical frames);
- SSIM on luma Y' = 0.299 R + 0.587 G + 0.114 B (Wang et al. 2004: 11-tap Gaussian window,
  sigma 1.5, K1 0.01, K2 0.03, population covariances, mean over the window-valid interior; equals
  skimage's structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
  data_range=255) on the same luma);
- mean CIEDE2000 between the Lab of both frames;
- temporal ab change: mean over pixels of ||ab_t - ab_{t-1}|| (Euclidean, Lab units), for the
  output and for the reference (undefined, NaN, for the first frame).

Over the clip: the means of the per-frame figures, and ``flicker`` = (sum of the output's temporal ab
changes) / (sum of the reference's): 1.0 is as steady as the reference, above 1 flickers more, near 0
is frozen colour on moving footage.

``Evaluator`` accumulates frame by frame (memory: two frames of ab, plus a few floats per frame);
``evaluate`` runs it over two video files decoded in lockstep.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np
import torch

from memovid.color.ciede2000 import ciede2000
from memovid.color.lab import luma, rgb8_to_lab
from memovid.errors import InputError
from memovid.log import logger
from memovid.progress import ProgressFn


@dataclass(frozen=True)
class SSIMSettings:
    """Wang et al. 2004 constants, as skimage uses them for gaussian_weights=True."""

    sigma: float = 1.5
    truncate: float = 3.5  # window radius = int(truncate * sigma + 0.5) = 5 -> 11 taps
    k1: float = 0.01
    k2: float = 0.03
    data_range: float = 255.0

    @property
    def radius(self) -> int:
        return int(self.truncate * self.sigma + 0.5)


SSIM = SSIMSettings()
_CIEDE_CHUNK = 32768  # pixels per CIEDE2000 pass: 128 KB float32 temporaries


def _check_pair(output: np.ndarray, reference: np.ndarray) -> None:
    for name, img in (("output", output), ("reference", reference)):
        if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            shape = getattr(img, "shape", None)
            dtype = getattr(img, "dtype", type(img).__name__)
            raise ValueError(f"{name} must be a (H, W, 3) uint8 RGB frame, got shape {shape} dtype {dtype}")
    if output.shape != reference.shape:
        raise ValueError(f"output and reference frames differ in shape: {output.shape} vs {reference.shape}")


def psnr(output: np.ndarray, reference: np.ndarray) -> float:
    """PSNR in dB of two (H, W, 3) uint8 RGB frames, peak 255; inf when they are identical."""
    _check_pair(output, reference)
    diff = output.astype(np.int32) - reference
    mse = float(np.einsum("ijk,ijk->", diff, diff, dtype=np.int64)) / diff.size
    return math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def _gaussian_taps(settings: SSIMSettings) -> np.ndarray:
    x = np.arange(-settings.radius, settings.radius + 1, dtype=np.float64)
    taps = np.exp(-0.5 * (x / settings.sigma) ** 2)
    return taps / taps.sum()


def ssim(output: np.ndarray, reference: np.ndarray, settings: SSIMSettings = SSIM) -> float:
    """Mean SSIM of the luma of two (H, W, 3) uint8 RGB frames, in [-1, 1] (1 = identical).

    Frames must be at least 11 x 11 pixels (one Gaussian window).
    """
    _check_pair(output, reference)
    r = settings.radius
    if min(output.shape[:2]) < 2 * r + 1:
        raise ValueError(f"SSIM needs frames of at least {2 * r + 1}x{2 * r + 1} pixels, got {output.shape[:2]}")
    x, y = luma(output), luma(reference)  # BT.601, as rgb2gray in Wang et al.'s code
    taps = _gaussian_taps(settings)

    def local_mean(m: np.ndarray) -> np.ndarray:
        # OpenCV's separable filter: several times faster than torch's conv2d on CPU in float64.
        # Only windows entirely inside the frame are kept, so the border mode never matters.
        return cv2.sepFilter2D(m, cv2.CV_64F, taps, taps, borderType=cv2.BORDER_REFLECT)[r:-r, r:-r]

    # float64 because the variances are differences of second moments up to 255^2.
    mx, my = local_mean(x), local_mean(y)
    vx = local_mean(x * x) - mx * mx
    vy = local_mean(y * y) - my * my
    cxy = local_mean(x * y) - mx * my
    c1 = (settings.k1 * settings.data_range) ** 2
    c2 = (settings.k2 * settings.data_range) ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s.mean())


def mean_ciede2000(output_lab: np.ndarray, reference_lab: np.ndarray) -> float:
    """Mean CIEDE2000 of two (H, W, 3) float Lab frames (L in [0, 100]), e.g. from rgb8_to_lab."""
    if output_lab.shape != reference_lab.shape or output_lab.ndim != 3 or output_lab.shape[2] != 3:
        raise ValueError(f"expected two (H, W, 3) Lab frames, got {output_lab.shape} and {reference_lab.shape}")
    pixels_out = torch.from_numpy(np.ascontiguousarray(output_lab)).view(-1, 3)
    pixels_ref = torch.from_numpy(np.ascontiguousarray(reference_lab)).view(-1, 3)
    # In chunks: CIEDE2000 is ~100 elementwise ops, and chunk-sized temporaries stay in cache
    # (and off mmap), which makes a 640x480 frame almost 2x faster than one whole-frame pass.
    total = sum(
        ciede2000(a, b).sum(dtype=torch.float64)
        for a, b in zip(pixels_out.split(_CIEDE_CHUNK), pixels_ref.split(_CIEDE_CHUNK))
    )
    return float(total) / pixels_out.shape[0]


def ab_change(previous_ab: np.ndarray, current_ab: np.ndarray) -> float:
    """Temporal chroma change between two frames: mean over pixels of ||ab_t - ab_{t-1}||.

    previous_ab, current_ab: (H, W, 2) float a, b (Lab units, about [-110, 110]).
    """
    if previous_ab.shape != current_ab.shape or current_ab.ndim != 3 or current_ab.shape[2] != 2:
        raise ValueError(f"expected two (H, W, 2) ab frames, got {previous_ab.shape} and {current_ab.shape}")
    d = current_ab - previous_ab
    return float(np.sqrt(np.einsum("ijk,ijk->ij", d, d)).mean(dtype=np.float64))


def _json_float(value: float) -> float | None:
    """JSON has no inf or NaN: infinite PSNR (identical frames) and undefined figures become null."""
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class EvalReport:
    """Figures of one output against one reference, frame-aligned.

    psnr (dB, inf if every frame is identical), ssim ([-1, 1]), ciede2000 (Lab units, 0 = same
    colours): means over frames. flicker: output's total temporal ab change over the reference's
    (NaN with fewer than 2 frames; inf when only the reference is static; 1.0 when both are).
    ab_change_output / ab_change_reference: their means per frame step. Per-frame tuples have one
    entry per frame; the ab_change ones start with NaN (no previous frame).
    """

    frames: int
    psnr: float
    ssim: float
    ciede2000: float
    flicker: float
    ab_change_output: float
    ab_change_reference: float
    psnr_per_frame: tuple[float, ...]
    ssim_per_frame: tuple[float, ...]
    ciede2000_per_frame: tuple[float, ...]
    ab_change_output_per_frame: tuple[float, ...]
    ab_change_reference_per_frame: tuple[float, ...]

    def to_dict(self) -> dict:
        """JSON-ready: clip figures at the top, per-frame lists under "per_frame"; inf/NaN -> None."""
        d: dict = {}
        per_frame: dict = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_per_frame"):
                per_frame[f.name.removesuffix("_per_frame")] = [_json_float(v) for v in value]
            elif isinstance(value, float):
                d[f.name] = _json_float(value)
            else:
                d[f.name] = value
        d["per_frame"] = per_frame
        return d


class Evaluator:
    """Streaming accumulator: ``add`` frame pairs in order, then ``result``.

    Keeps only the previous frame's ab of each side, so memory does not grow with the clip.
    """

    def __init__(self, ssim_settings: SSIMSettings = SSIM) -> None:
        self._ssim_settings = ssim_settings
        self._psnr: list[float] = []
        self._ssim: list[float] = []
        self._ciede: list[float] = []
        self._change_out: list[float] = [math.nan]  # the first frame has no predecessor
        self._change_ref: list[float] = [math.nan]
        self._previous: tuple[np.ndarray, np.ndarray] | None = None  # (H, W, 2) ab of each side

    @property
    def frames(self) -> int:
        return len(self._psnr)

    def add(self, output_rgb: np.ndarray, reference_rgb: np.ndarray) -> None:
        """One frame pair: (H, W, 3) uint8 RGB each, same size as each other and as earlier pairs."""
        _check_pair(output_rgb, reference_rgb)
        if self._previous is not None and self._previous[0].shape[:2] != output_rgb.shape[:2]:
            raise ValueError(
                f"frame {self.frames} is {output_rgb.shape[:2]} but earlier frames were "
                f"{self._previous[0].shape[:2]}"
            )
        lab_out, lab_ref = rgb8_to_lab(output_rgb), rgb8_to_lab(reference_rgb)  # (H, W, 3) float32
        self._psnr.append(psnr(output_rgb, reference_rgb))
        self._ssim.append(ssim(output_rgb, reference_rgb, self._ssim_settings))
        self._ciede.append(mean_ciede2000(lab_out, lab_ref))
        ab_out, ab_ref = lab_out[..., 1:], lab_ref[..., 1:]
        if self._previous is not None:
            self._change_out.append(ab_change(self._previous[0], ab_out))
            self._change_ref.append(ab_change(self._previous[1], ab_ref))
        self._previous = (ab_out, ab_ref)

    def result(self) -> EvalReport:
        """The report over every frame added so far (raises ValueError when none was)."""
        if not self._psnr:
            raise ValueError("no frames were added")
        steps_out, steps_ref = sum(self._change_out[1:]), sum(self._change_ref[1:])
        if self.frames < 2:
            flicker = math.nan
        elif steps_ref == 0:
            flicker = 1.0 if steps_out == 0 else math.inf
        else:
            flicker = steps_out / steps_ref
        steps = max(self.frames - 1, 1)
        return EvalReport(
            frames=self.frames,
            psnr=float(np.mean(self._psnr)),
            ssim=float(np.mean(self._ssim)),
            ciede2000=float(np.mean(self._ciede)),
            flicker=flicker,
            ab_change_output=steps_out / steps if self.frames > 1 else math.nan,
            ab_change_reference=steps_ref / steps if self.frames > 1 else math.nan,
            psnr_per_frame=tuple(self._psnr),
            ssim_per_frame=tuple(self._ssim),
            ciede2000_per_frame=tuple(self._ciede),
            ab_change_output_per_frame=tuple(self._change_out),
            ab_change_reference_per_frame=tuple(self._change_ref),
        )


_END = object()


def _lockstep(outputs: Iterable, references: Iterable, on_length_mismatch) -> Iterator[tuple]:
    """Pairs from two iterables; at the end, if one ran longer, count the rest and report both counts.

    on_length_mismatch(output_count, reference_count) raises to refuse, or returns to keep the
    pairs already yielded (the common prefix).
    """
    outputs, references = iter(outputs), iter(references)
    count = 0
    while True:
        a, b = next(outputs, _END), next(references, _END)
        if a is _END and b is _END:
            return
        if a is _END or b is _END:
            rest = references if a is _END else outputs
            longer = count + 1 + sum(1 for _ in rest)
            on_length_mismatch(*((count, longer) if a is _END else (longer, count)))
            return
        count += 1
        yield a, b


def evaluate_arrays(
    outputs: Iterable[np.ndarray],
    references: Iterable[np.ndarray],
    *,
    allow_length_mismatch: bool = False,
) -> EvalReport:
    """EvalReport of two sequences of (H, W, 3) uint8 RGB frames, paired in order.

    Different lengths raise ValueError, or with allow_length_mismatch the common prefix is evaluated.
    """

    def mismatch(n_out: int, n_ref: int) -> None:
        if not allow_length_mismatch:
            raise ValueError(f"outputs have {n_out} frames but references have {n_ref}")

    evaluator = Evaluator()
    for output, reference in _lockstep(outputs, references, mismatch):
        evaluator.add(output, reference)
    return evaluator.result()


def evaluate(
    output: str | Path,
    reference: str | Path,
    *,
    max_size: int | None = None,
    allow_length_mismatch: bool = False,
    progress: ProgressFn | None = None,
) -> EvalReport:
    """Compare a coloured video with its colour reference, frame by frame (decoded in lockstep).

    output, reference: video files or image sequences (anything ``memovid.video.read_frames``
    reads). max_size: both are downscaled so that max(H, W) <= max_size before comparing (faster;
    figures then describe the downscaled pictures). Raises InputError when the frame sizes differ
    (or are under 11x11), when either has no frames, or when the frame counts differ (unless allow_length_mismatch, which
    evaluates the common prefix and logs a warning naming both counts).
    """
    from memovid.video import read_frames  # imports av: only when files are evaluated

    def mismatch(n_out: int, n_ref: int) -> None:
        message = f"{output} has {n_out} frames but {reference} has {n_ref}"
        if not allow_length_mismatch:
            raise InputError(f"{message}; eval compares frame by frame")
        logger.warning("%s: evaluating the first %d frames only", message, min(n_out, n_ref))

    def check_sizes(out_frame, ref_frame, first_shape) -> None:
        (oh, ow), (rh, rw) = out_frame.image.shape[:2], ref_frame.image.shape[:2]
        if (oh, ow) != (rh, rw):
            raise InputError(
                f"{output} is {ow}x{oh} but {reference} is {rw}x{rh} (frame {out_frame.index}); "
                "eval compares pixel by pixel, so sizes must match"
            )
        if first_shape is not None and out_frame.image.shape != first_shape:
            raise InputError(f"{output}: frame {out_frame.index} changes size to {ow}x{oh}; eval needs one size")
        window = 2 * SSIM.radius + 1
        if min(oh, ow) < window:
            raise InputError(f"{output} is {ow}x{oh}: eval needs frames of at least {window}x{window} (SSIM)")

    evaluator = Evaluator()
    out_frames = read_frames(output, mode="rgb", max_size=max_size)
    ref_frames = read_frames(reference, mode="rgb", max_size=max_size)
    first_shape = None
    try:
        for out_frame, ref_frame in _lockstep(out_frames, ref_frames, mismatch):
            check_sizes(out_frame, ref_frame, first_shape)
            first_shape = out_frame.image.shape
            evaluator.add(out_frame.image, ref_frame.image)
            if progress is not None:
                progress("Evaluating", evaluator.frames, None)
    finally:
        for frames in (out_frames, ref_frames):
            close = getattr(frames, "close", None)
            if close is not None:
                close()  # release decoders now, also when stopping early on an error
    if evaluator.frames == 0:
        raise InputError(f"no frames to compare: {output} or {reference} has no video frames")
    return evaluator.result()
