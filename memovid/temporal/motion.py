"""Motion-compensated smoothing: the previous output's ab is carried along optical flow.

Flow is estimated on the luminance from the current frame to the previous one(s); the carried ab is
blended into the current prediction by ``strength x flow reliability x chroma agreement``, so that
occlusions and fast motion (low flow reliability) and real colour changes (low agreement) pass through
unsmoothed instead of smearing.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from memovid.color.levels import L_to_L8
from memovid.motion.flow import flow_with_reliability, warp
from memovid.temporal.base import Smoother, chroma_agreement


class FlowSmoother(Smoother):
    def reset(self) -> None:
        # Bounded look-back: (L8 (H, W) uint8, output ab (H, W, 2)) of the last frames of this shot.
        self._history: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=self.config.look_back)

    def step(self, L: np.ndarray, ab: np.ndarray) -> np.ndarray:
        L8 = L_to_L8(L)
        if self._history and self._history[-1][0].shape != L8.shape:
            self.reset()
        out = ab.copy()
        if self._history:
            num = np.zeros_like(ab)
            den = np.zeros(L.shape, np.float32)
            best = np.zeros(L.shape, np.float32)
            for prev_L8, prev_out in self._history:
                f, reliability = flow_with_reliability(L8, prev_L8, self.config.flow, last=True)  # after the keyframe chains
                carried = warp(prev_out, f)  # (H, W, 2) previous output on this frame's grid
                c = reliability * chroma_agreement(carried, ab, self.config.chroma_tol)
                num += c[..., None] * carried
                den += c
                best = np.maximum(best, c)
            carried = num / np.maximum(den, 1e-6)[..., None]
            w = self.config.strength * best
            out += w[..., None] * (carried - ab)
        self._history.append((L8, out))
        return out
