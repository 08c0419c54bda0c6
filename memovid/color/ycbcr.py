"""Colour put back on a black-and-white film as Y'CbCr: the film's own luma, chroma from painted ab.

memovid learns ab against the luma of its colour examples read as a gray (memovid.color.lab
``rgb8_to_film_lab``), so a painted pixel is "this luma, with this colour". Turning (luma-as-L*, ab)
into RGB and letting the encoder take its luma again changes the light wherever the colour is
saturated (a pure blue has luma 11 and L* 32): with the true ab of real colour footage, that round
trip alone costs CIEDE2000 0.47-1.9 against the footage itself (README, "Where the open bars
stand"; the one clip that goes the other way codes its whites as superwhite). Written as Y'CbCr,
the film's luma goes out as it came in, and only Cb and Cr are computed, at the chroma planes'
size, as the same Lab -> RGB -> Cb/Cr the encoder's swscale would have done on the full picture.
"""

from __future__ import annotations

import cv2
import numpy as np

from memovid.scratch import Scratch

BT601 = (0.299, 0.114)  # (Kr, Kb): the luma memovid's training reads (memovid.color.lab.luma)

# Full-range luma level -> studio-range code (16-235), rounded: decode expanded studio range to full
# (memovid.video.decode), and this undoes it exactly for every level that came from a studio code.
_STUDIO_Y = np.clip(np.rint(16.0 + np.arange(256) * (219.0 / 255.0)), 0, 255).astype(np.uint8)


def studio_luma(y: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """(H, W) uint8 full-range luma -> (H, W) uint8 studio-range Y' codes (into ``out`` when given)."""
    return cv2.LUT(y, _STUDIO_Y, dst=out)


def _chroma_matrix(weights: tuple[float, float]) -> np.ndarray:
    """(2, 4): RGB in [0, 1] -> studio-range 8-bit Cb, Cr codes (128 + 224 c, c in [-0.5, 0.5])."""
    kr, kb = weights
    kg = 1.0 - kr - kb
    cb = np.array([-kr, -kg, 1.0 - kb]) / (2.0 * (1.0 - kb))
    cr = np.array([1.0 - kr, -kg, -kb]) / (2.0 * (1.0 - kr))
    return np.hstack([224.0 * np.stack([cb, cr]), [[128.0], [128.0]]]).astype(np.float32)


def _difference_matrix(weights: tuple[float, float]) -> np.ndarray:
    """(3, 3): RGB in [0, 1] -> 255 (R - Y', G - Y', B - Y'), each channel's distance from the luma."""
    kr, kb = weights
    return (255.0 * (np.eye(3) - np.array([kr, 1.0 - kr - kb, kb])[None])).astype(np.float32)


def _gamut_rgb(L: np.ndarray, ab: np.ndarray, scratch: Scratch) -> np.ndarray:
    """(h, w, 3) float32 RGB in [0, 1] of the Lab colours, clipped to what an 8-bit picture can show."""
    if L.ndim != 2 or ab.shape != (*L.shape, 2):
        raise ValueError(f"L must be (h, w) and ab (h, w, 2) on its grid, got {L.shape} and {ab.shape}")
    shape = L.shape
    lab = scratch.get("chroma lab", (*shape, 3))
    cv2.mixChannels([np.ascontiguousarray(L, dtype=np.float32), np.ascontiguousarray(ab, dtype=np.float32)],
                    [lab], [0, 0, 1, 1, 2, 2])
    rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB, dst=scratch.get("chroma rgb", (*shape, 3)))
    # (a bare 1.0 would be OpenCV's Scalar(1, 0, 0, 0))
    return cv2.min(cv2.max(rgb, 0.0, dst=rgb), (1.0, 1.0, 1.0, 1.0), dst=rgb)


def chroma_codes(L: np.ndarray, ab: np.ndarray, weights: tuple[float, float],
                 scratch: Scratch | None = None) -> np.ndarray:
    """(h, w) L in [0, 100] and (h, w, 2) ab -> (h, w, 2) uint8 studio-range (Cb, Cr) codes of the
    sRGB colour (clipped to the gamut), with the colour matrix's luma weights ``(Kr, Kb)``.

    scratch: reuse its arrays (the result is one of them, overwritten by the next call with it)."""
    scratch = scratch or Scratch()
    rgb = _gamut_rgb(L, ab, scratch)
    codes = cv2.transform(rgb, _chroma_matrix(weights), dst=scratch.get("chroma codes", (*L.shape, 2)))
    # codes lie in [16, 240]: convertScaleAbs rounds and saturates to uint8 in one pass
    return cv2.convertScaleAbs(codes, dst=scratch.get("chroma codes8", (*L.shape, 2), np.uint8))


def luma_colour_rgb8(luma: np.ndarray, L: np.ndarray, ab: np.ndarray, weights: tuple[float, float] = BT601,
                     scratch: Scratch | None = None) -> np.ndarray:
    """(H, W) uint8 full-range luma, its L and (H, W, 2) ab -> (H, W, 3) uint8 RGB whose luma is the
    film's (to rounding, and where the gamut allows) and whose chroma is the colour's: the full-size,
    full-chroma form of what ``chroma_codes`` gives a Y'CbCr encoder, for RGB outputs (FFV1, PNG).

    scratch: as ``chroma_codes``."""
    scratch = scratch or Scratch()
    shape = luma.shape
    rgb = _gamut_rgb(L, ab, scratch)
    apart = cv2.transform(rgb, _difference_matrix(weights), dst=scratch.get("luma rgb", (*shape, 3)))
    y = cv2.merge((luma, luma, luma), dst=scratch.get("luma y3", (*shape, 3), np.uint8))
    cv2.add(apart, y, dst=apart, dtype=cv2.CV_32F)
    cv2.max(apart, 0.0, dst=apart)  # convertScaleAbs takes |x|
    return cv2.convertScaleAbs(apart, dst=scratch.get("luma rgb8", (*shape, 3), np.uint8))


def i420(luma: np.ndarray, L_half: np.ndarray, ab_half: np.ndarray, weights: tuple[float, float],
         out: np.ndarray | None = None, scratch: Scratch | None = None) -> np.ndarray:
    """One (3H/2, W) uint8 I420 buffer (PyAV's ``VideoFrame.from_ndarray(..., format="yuv420p")``):
    the studio-range Y' of ``luma`` ((H, W) uint8 full range, H and W even), then the Cb and Cr
    planes of the colours (L_half, ab_half), given at the chroma size (H/2, W/2)."""
    if luma.ndim != 2 or luma.shape[0] % 2 or luma.shape[1] % 2:
        raise ValueError(f"I420 needs (H, W) luma of even size, got {luma.shape}")
    H, W = luma.shape
    h, w = H // 2, W // 2
    if L_half.shape != (h, w):
        raise ValueError(f"the chroma size of {W}x{H} is {w}x{h}, got L {L_half.shape[1]}x{L_half.shape[0]}")
    out = np.empty((H * 3 // 2, W), np.uint8) if out is None else out
    studio_luma(luma, out=out[:H])
    codes = chroma_codes(L_half, ab_half, weights, scratch)
    planes = out.reshape(-1)[H * W:].reshape(2, h, w)  # Cb then Cr, each h x w, after the Y' plane
    cv2.extractChannel(codes, 0, dst=planes[0])
    cv2.extractChannel(codes, 1, dst=planes[1])
    return out


def i420_of(luma: np.ndarray, ab: np.ndarray, weights: tuple[float, float]) -> np.ndarray:
    """``i420`` with (H, W, 2) full-size ab: the film's luma and ab averaged over each 2x2 block."""
    from memovid.color.lab import luma_to_L

    h, w = luma.shape[0] // 2, luma.shape[1] // 2
    luma_half = cv2.resize(luma, (w, h), interpolation=cv2.INTER_AREA)
    ab_half = cv2.resize(np.ascontiguousarray(ab, dtype=np.float32), (w, h), interpolation=cv2.INTER_AREA)
    return i420(luma, luma_to_L(luma_half), ab_half, weights)
