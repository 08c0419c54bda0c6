"""Cheap smoothing without motion estimation, for CPU-only batch work.

Blends each pixel's ab with the previous output at the same place, by a weight that falls where the
luminance changed (something moved there) or where the colour really changed.
"""

from __future__ import annotations

import cv2
import numpy as np

from memovid.temporal.base import Smoother, chroma_agreement


class EmaSmoother(Smoother):
    def reset(self) -> None:
        self._prev: tuple[np.ndarray, np.ndarray] | None = None  # (L (H, W) in [0, 100], ab (H, W, 2))

    def step(self, L: np.ndarray, ab: np.ndarray) -> np.ndarray:
        if self._prev is None or self._prev[0].shape != L.shape:
            out = ab.copy()
        else:
            prev_L, prev_ab = self._prev
            # The largest change nearby, so that a moving edge gates its whole neighbourhood.
            dl = cv2.dilate(np.abs(L - prev_L), np.ones((5, 5), np.uint8))
            still = np.exp(-0.5 * (dl / self.config.luma_tol) ** 2)
            w = self.config.strength * still * chroma_agreement(prev_ab, ab, self.config.chroma_tol)
            out = ab + w[..., None] * (prev_ab - ab)
        self._prev = (L, out)
        return out
