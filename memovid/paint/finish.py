"""The full-size end of pass 2, one frame at a time: upsample the painted chroma onto the film's own
luminance, keep the keyframes' moved full-size colour where it is trusted, dim chroma in fades,
convert to RGB.

It runs in colorize's write-behind thread (memovid.paint.painter) and reuses its full-size arrays
from frame to frame (memovid.scratch: fresh ones cost more in page faults than the arithmetic).
"""

from __future__ import annotations

import cv2
import numpy as np

from memovid.color.lab import L_ab_to_rgb8, frame_L
from memovid.scratch import Scratch


class Finisher:
    """``finisher(image, L_small, ab, guide, share, gain)`` -> the frame in colour, (H, W, 3) uint8.

    upsample: one of memovid.paint.upsample.UPSAMPLERS. The RGB returned is one of the finisher's own
    arrays, valid until the next call: the caller encodes it before finishing another frame. One
    Finisher per thread.
    """

    def __init__(self, upsample) -> None:
        self.upsample = upsample
        self.scratch = Scratch()

    def __call__(self, image: np.ndarray, L_small: np.ndarray, ab: np.ndarray, guide, share: np.ndarray | None,
                 gain: float = 1.0) -> np.ndarray:
        """image: the film's frame, (H, W) uint8 luma (a black-and-white film) or (H, W, 3) uint8 RGB.
        L_small: (h, w) float32 in [0, 100] and ab: (h, w, 2) float32 Lab units, the painted working size. guide: memovid.motion.guide.Guidance or None.
        share: (h, w) in [0, 1], how much of the guide's moved colour to keep (None without a guide).
        gain: the fade's chroma gain (memovid.paint.fades)."""
        L_full = frame_L(image, out=self.scratch.get("L", image.shape[:2]))  # (H, W) in [0, 100]
        ab_full = self.upsample(ab, L_small, L_full, scratch=self.scratch)
        if guide is not None and guide.full_ab is not None:
            self._keep_moved(ab_full, guide.full_ab, share)
        if gain != 1.0:
            cv2.multiply(ab_full, (gain, gain, 0.0, 0.0), dst=ab_full)
        return L_ab_to_rgb8(L_full, ab_full, self.scratch)

    def _keep_moved(self, ab_full: np.ndarray, moved: np.ndarray, share: np.ndarray) -> None:
        """ab_full += share * (moved - ab_full), in place: the share of the keyframes' moved full-size
        colour kept over the upsampled guess (memovid.paint.painter._trust_guide at working size).
        The share is doubled to two channels at the working size and stretched once (bilinear
        resizing is linear: the same as stretching it and doubling)."""
        H, W = ab_full.shape[:2]
        share2 = cv2.resize(cv2.merge((share, share)), (W, H), dst=self.scratch.get("share", (H, W, 2)),
                            interpolation=cv2.INTER_LINEAR)
        gap = cv2.subtract(moved, ab_full, dst=self.scratch.get("gap", (H, W, 2)))
        cv2.accumulateProduct(gap, share2, ab_full)
