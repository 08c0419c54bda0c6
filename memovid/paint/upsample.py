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


@dataclass(frozen=True)
class UpsampleConfig:
    radius: int = 2        # box radius at working size, pixels
    eps: float = 1e-4      # on (L/100)^2 variance: edges of ~1 L unit steer colour; larger -> closer to bilinear


def _box(x: np.ndarray, r: int) -> np.ndarray:
    return cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), normalize=True, borderType=cv2.BORDER_REFLECT)


def _resize(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(x, size, interpolation=cv2.INTER_LINEAR)


def guided_upsample(ab: np.ndarray, L_small: np.ndarray, L_full: np.ndarray,
                    config: UpsampleConfig = UpsampleConfig()) -> np.ndarray:
    """Upsample ab to the size of L_full, guided by luminance.

    ab: (h, w, 2) float32, Lab units. L_small: (h, w) float32 in [0, 100], the luminance ab was made
    from. L_full: (H, W) float32 in [0, 100]. Returns (H, W, 2) float32.
    """
    if ab.ndim != 3 or ab.shape[2] != 2 or ab.shape[:2] != L_small.shape:
        raise ValueError(f"ab must be (h, w, 2) matching L_small {L_small.shape}, got {ab.shape}")
    size = (L_full.shape[1], L_full.shape[0])
    guide = L_small.astype(np.float32) / 100.0
    r = config.radius
    mean_i = _box(guide, r)
    var_i = _box(guide * guide, r) - mean_i * mean_i
    out = np.empty((*L_full.shape, 2), np.float32)
    full = L_full.astype(np.float32) / 100.0
    for c in range(2):
        p = np.ascontiguousarray(ab[..., c], dtype=np.float32)
        mean_p = _box(p, r)
        cov = _box(guide * p, r) - mean_i * mean_p
        a = cov / (var_i + config.eps)
        b = mean_p - a * mean_i
        out[..., c] = _resize(_box(a, r), size) * full + _resize(_box(b, r), size)
    return out


def bilinear_upsample(ab: np.ndarray, L_small: np.ndarray, L_full: np.ndarray,
                      config: UpsampleConfig = UpsampleConfig()) -> np.ndarray:
    """The baseline: ab resized bilinearly, blind to edges. Same signature as guided_upsample."""
    return _resize(np.ascontiguousarray(ab, dtype=np.float32), (L_full.shape[1], L_full.shape[0]))


UPSAMPLERS = {"guided": guided_upsample, "bilinear": bilinear_upsample}
