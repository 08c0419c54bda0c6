"""Lab's numbers as memovid stores and feeds them: L* as 8-bit levels, the ab scale, a picture's chroma.

One owner for each conversion, so that no module writes ``* 2.55`` or ``/ 110`` again. Numpy only: the
flow, the keyframes and the CLI's helpers import it without torch.
"""

from __future__ import annotations

import numpy as np

AB_SCALE = 110.0  # a, b of sRGB colours stay within +-AB_SCALE Lab units: the generator's range, networks see ab / AB_SCALE


def L_to_L8(L: np.ndarray) -> np.ndarray:
    """(H, W) float L in [0, 100] -> (H, W) uint8 in [0, 255], the input the flow functions take."""
    return np.clip(np.asarray(L, dtype=np.float32) * 2.55 + 0.5, 0, 255).astype(np.uint8)


def L8_to_L(L8: np.ndarray) -> np.ndarray:
    """(H, W) uint8 levels in [0, 255] -> (H, W) float32 L in [0, 100] (the inverse of ``L_to_L8``)."""
    return np.asarray(L8).astype(np.float32) / 2.55


def chroma(rgb: np.ndarray) -> float:
    """How far an (H, W, 3) uint8 picture is from gray: the mean distance of each channel from its
    pixel's mean, in 8-bit levels (0 for a gray picture)."""
    rgb = rgb.astype(np.int16)
    return float(np.abs(rgb - rgb.mean(axis=2, keepdims=True)).mean())
