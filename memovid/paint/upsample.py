"""Edge-aware upsampling of chroma onto the original full-resolution luminance.

The generator paints ab at a working size; the film keeps its own luminance at full size (grain and
detail are never resampled). Plain bilinear ab bleeds colour across edges by the scale factor; the
fast guided filter (He & Sun 2015) fits ab as a local linear function of luminance at working size,
then applies the upsampled coefficients to the full-size luminance, so colour edges snap to the
picture's own edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from memovid.scratch import Scratch


@dataclass(frozen=True)
class UpsampleConfig:
    radius: int = 2        # box radius at working size, pixels
    eps: float = 1e-4      # on (L/100)^2 variance: edges of ~1 L unit steer colour; larger -> closer to bilinear


def _box(x: np.ndarray, r: int) -> np.ndarray:
    return cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), normalize=True, borderType=cv2.BORDER_REFLECT)


def _resize(x: np.ndarray, size: tuple[int, int], dst: np.ndarray | None = None) -> np.ndarray:
    return cv2.resize(x, size, dst=dst, interpolation=cv2.INTER_LINEAR)


def guided_upsample(ab: np.ndarray, L_small: np.ndarray, L_full: np.ndarray,
                    config: UpsampleConfig = UpsampleConfig(), scratch: Scratch | None = None) -> np.ndarray:
    """Upsample ab to the size of L_full, guided by luminance.

    ab: (h, w, 2) float32, Lab units. L_small: (h, w) float32 in [0, 100], the luminance ab was made
    from. L_full: (H, W) float32 in [0, 100]. Returns (H, W, 2) float32: a new array, or with
    ``scratch`` one of its arrays (overwritten by the next call with the same scratch).

    Both channels go through OpenCV together: the full-size part is ab = A(x) * L(x) + B(x) with the
    coefficient maps A (scaled by 1/100 for L's range) and B stretched from the working size.
    """
    if ab.ndim != 3 or ab.shape[2] != 2 or ab.shape[:2] != L_small.shape:
        raise ValueError(f"ab must be (h, w, 2) matching L_small {L_small.shape}, got {ab.shape}")
    scratch = scratch or Scratch()
    H, W = L_full.shape
    guide = L_small.astype(np.float32) / 100.0
    guide2 = cv2.merge((guide, guide))
    r = config.radius
    p = np.ascontiguousarray(ab, dtype=np.float32)
    mean_i = _box(guide2, r)
    var_i = _box(guide2 * guide2, r) - mean_i * mean_i
    mean_p = _box(p, r)
    a = (_box(guide2 * p, r) - mean_i * mean_p) / (var_i + np.float32(config.eps))
    b = mean_p - a * mean_i
    L2 = cv2.merge((L_full, L_full), dst=scratch.get("upsample L2", (H, W, 2)))
    out = _resize(_box(b, r), (W, H), scratch.get("upsample out", (H, W, 2)))
    cv2.accumulateProduct(_resize(_box(a, r) * np.float32(0.01), (W, H), scratch.get("upsample A", (H, W, 2))), L2, out)
    return out


def bilinear_upsample(ab: np.ndarray, L_small: np.ndarray, L_full: np.ndarray,
                      config: UpsampleConfig = UpsampleConfig(), scratch: Scratch | None = None) -> np.ndarray:
    """The baseline: ab resized bilinearly, blind to edges. Same signature as guided_upsample."""
    H, W = L_full.shape
    dst = None if scratch is None else scratch.get("upsample out", (H, W, 2))
    return _resize(np.ascontiguousarray(ab, dtype=np.float32), (W, H), dst)


UPSAMPLERS = {"guided": guided_upsample, "bilinear": bilinear_upsample}
