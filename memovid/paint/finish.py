"""The full-size end of pass 2, one frame at a time: upsample the painted chroma onto the film's own
luminance, keep the keyframes' moved full-size colour where it is trusted, dim chroma in fades,
convert. A black-and-white film keeps its own luma, with the painted colour's chroma beside it
(memovid.color.ycbcr); going to an 8-bit 4:2:0 video it goes straight to the planes the encoder
takes, the chroma made at the chroma planes' size: a quarter of the pixels to upsample, blend and
convert.

It runs in colorize's write-behind thread (memovid.paint.painter) and reuses its full-size arrays
from frame to frame (memovid.scratch: fresh ones cost more in page faults than the arithmetic).
"""

from __future__ import annotations

import cv2
import numpy as np

from memovid.color.lab import L_ab_to_rgb8, image_to_L, luma_to_L
from memovid.color.ycbcr import BT601, i420, luma_colour_rgb8
from memovid.scratch import Scratch


class Finisher:
    """``finisher(image, L_small, ab, guide, share, gain)`` -> the frame in colour, (H, W, 3) uint8 RGB
    (a black-and-white film's with its luma unchanged, BT.601), or ``finisher.yuv420(...)`` -> I420.

    upsample: one of memovid.paint.upsample.UPSAMPLERS. The RGB returned is one of the finisher's own
    arrays, valid until the next call: the caller encodes it before finishing another frame. One
    Finisher per thread.
    """

    def __init__(self, upsample) -> None:
        self.upsample = upsample
        self.scratch = Scratch()
        self.half = Scratch()  # the chroma-size arrays of ``yuv420`` (same names, other shapes)

    def __call__(self, image: np.ndarray, L_small: np.ndarray, ab: np.ndarray, guide, share: np.ndarray | None,
                 gain: float = 1.0, weights: tuple[float, float] = BT601) -> np.ndarray:
        """image: the film's frame, (H, W) uint8 luma (a black-and-white film) or (H, W, 3) uint8 RGB.
        L_small: (h, w) float32 in [0, 100] and ab: (h, w, 2) float32 Lab units, the painted working size. guide: memovid.motion.guide.Guidance or None.
        share: (h, w) in [0, 1], how much of the guide's moved colour to keep (None without a guide).
        gain: the fade's chroma gain (memovid.paint.fades). weights: the luma weights (Kr, Kb) of the
        matrix the RGB will be coded with (the writer's ``rgb_luma_weights``): a black-and-white
        film's luma is kept in that matrix."""
        L_full = image_to_L(image, out=self.scratch.get("L", image.shape[:2]))  # (H, W) in [0, 100]
        ab_full = self._colour(ab, L_small, L_full, guide, share, gain, self.scratch)
        if image.ndim == 2:  # a black-and-white film keeps its own luma (memovid.color.ycbcr)
            return luma_colour_rgb8(image, L_full, ab_full, weights, scratch=self.scratch)
        return L_ab_to_rgb8(L_full, ab_full, self.scratch)

    def yuv420(self, luma: np.ndarray, L_small: np.ndarray, ab: np.ndarray, guide, share: np.ndarray | None,
               gain: float, weights: tuple[float, float]) -> np.ndarray:
        """The frame as one (3H/2, W) uint8 I420 buffer (studio-range Y' plane, then Cb, then Cr at
        (H/2, W/2)), what PyAV's ``VideoFrame.from_ndarray(..., format="yuv420p")`` takes.

        luma: (H, W) uint8, the black-and-white film's frame (H and W even: memovid.color.ycbcr.i420
        checks). weights: the output's colour matrix (Kr, Kb). Other arguments as ``__call__``. The
        buffer is the finisher's own, valid until the next call. Y' is the film's own luma, level for
        level; Cb and Cr come from the colour painted at the chroma size, on the luma averaged over
        each 2x2 block.
        """
        H, W = luma.shape[:2]
        h, w = H // 2, W // 2
        scratch = self.half
        luma_half = cv2.resize(luma, (w, h), dst=scratch.get("luma", (h, w), np.uint8), interpolation=cv2.INTER_AREA)
        L_half = luma_to_L(luma_half, out=scratch.get("L", (h, w)))
        ab_half = self._colour(ab, L_small, L_half, guide, share, gain, scratch)
        return i420(luma, L_half, ab_half, weights, out=self.scratch.get("yuv420", (H * 3 // 2, W), np.uint8),
                    scratch=scratch)

    def _colour(self, ab: np.ndarray, L_small: np.ndarray, L: np.ndarray, guide, share: np.ndarray | None,
                gain: float, scratch: Scratch) -> np.ndarray:
        """The painted ab brought to L's size (the frame's, or its chroma planes'): upsampled onto L,
        the trusted share of the keyframes' moved colour kept over it, dimmed by the fade's gain."""
        ab_out = self.upsample(ab, L_small, L, scratch=scratch)
        if guide is not None and guide.full_ab is not None:
            moved = guide.full_ab  # moved at the size asked for (memovid.paint.tracking), or resized here
            size = L.shape
            if moved.shape[:2] != size:
                shrink = moved.shape[0] > size[0]
                moved = cv2.resize(moved, (size[1], size[0]), dst=scratch.get("moved", (*size, 2)),
                                   interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
            _keep_moved(ab_out, moved, share, scratch)
        if gain != 1.0:
            cv2.multiply(ab_out, (gain, gain, 0.0, 0.0), dst=ab_out)
        return ab_out


def _keep_moved(ab_full: np.ndarray, moved: np.ndarray, share: np.ndarray, scratch: Scratch) -> None:
    """ab_full += share * (moved - ab_full), in place: the share of the keyframes' moved colour kept
    over the upsampled guess (memovid.paint.mix.layer at working size), at ab_full's size.
    The share is doubled to two channels at the working size and stretched once (bilinear resizing
    is linear: the same as stretching it and doubling)."""
    H, W = ab_full.shape[:2]
    share2 = cv2.resize(cv2.merge((share, share)), (W, H), dst=scratch.get("share", (H, W, 2)),
                        interpolation=cv2.INTER_LINEAR)
    gap = cv2.subtract(moved, ab_full, dst=scratch.get("gap", (H, W, 2)))
    cv2.accumulateProduct(gap, share2, ab_full)
