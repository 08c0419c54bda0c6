"""sRGB <-> CIE Lab (D65 white, 2 degree observer), in torch (batched, differentiable) and numpy.

Ranges everywhere in memovid: RGB in [0, 1] (float) or 0-255 (uint8); L in [0, 100]; a and b roughly
[-86, 98] and [-108, 95] for sRGB colours (callers that need one bound can use +-110).

The reference white is the sRGB matrix applied to RGB (1, 1, 1) (as OpenCV and kornia do), so every
neutral grey maps to a = b = 0 exactly; skimage normalises by the tabulated D65 white instead, which
moves a and b by at most 0.005 (and its rounded near-black constants move L by under 1e-4).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from memovid.scratch import Scratch

# Linear sRGB -> XYZ (D65), the matrix of skimage, OpenCV and kornia.
_XYZ_FROM_RGB = (
    (0.412453, 0.357580, 0.180423),
    (0.212671, 0.715160, 0.072169),
    (0.019334, 0.119193, 0.950227),
)
_WHITE = tuple(sum(row) for row in _XYZ_FROM_RGB)  # (0.950456, 1.0, 1.088754)
_RGB_FROM_XYZ = tuple(map(tuple, np.linalg.inv(np.array(_XYZ_FROM_RGB)).tolist()))

_EPS = 216.0 / 24389.0  # (6/29)^3: below it Lab's cube root becomes a straight line
_KAPPA = 24389.0 / 27.0


def _check_channels_first(x: torch.Tensor, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim < 3 or x.shape[-3] != 3:
        raise ValueError(f"{name} must have shape (..., 3, H, W), got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got {x.dtype}")


def _work_dtype(x: torch.Tensor) -> torch.dtype:
    """float16/bfloat16 are upcast to float32 (Lab needs the range); float64 stays float64."""
    return torch.promote_types(x.dtype, torch.float32)


def _matmul_channels(x: torch.Tensor, matrix: tuple) -> torch.Tensor:
    """Apply a 3x3 matrix over the channel dim of (..., 3, H, W)."""
    m = torch.tensor(matrix, dtype=x.dtype, device=x.device)
    return torch.einsum("ij,...jhw->...ihw", m, x)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB -> CIE Lab.

    rgb: (..., 3, H, W) float, gamma-encoded sRGB in [0, 1] (not checked; values outside are
    extrapolated). Returns (..., 3, H, W) in float32 (float64 for float64 input): L in [0, 100],
    a, b about [-110, 110]. Differentiable everywhere (no NaN gradients at 0).
    """
    _check_channels_first(rgb, "rgb")
    rgb = rgb.to(_work_dtype(rgb))
    # sRGB decoding; the power branch is clamped so that its unused gradient stays finite.
    linear = torch.where(
        rgb > 0.04045,
        ((rgb.clamp(min=0.04045) + 0.055) / 1.055) ** 2.4,
        rgb / 12.92,
    )
    xyz = _matmul_channels(linear, _XYZ_FROM_RGB)
    white = torch.tensor(_WHITE, dtype=xyz.dtype, device=xyz.device).view(3, 1, 1)
    t = xyz / white
    f = torch.where(t > _EPS, t.clamp(min=_EPS) ** (1.0 / 3.0), (_KAPPA * t + 16.0) / 116.0)
    fx, fy, fz = f.unbind(-3)
    L = 116.0 * fy - 16.0
    a = 500.0 * (fx - fy)
    b = 200.0 * (fy - fz)
    return torch.stack((L, a, b), dim=-3)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """CIE Lab -> sRGB, the inverse of :func:`rgb_to_lab`.

    lab: (..., 3, H, W) float, L in [0, 100], a, b about [-110, 110]. Returns (..., 3, H, W) sRGB
    clamped to [0, 1] (colours outside the sRGB gamut are clipped per channel), float32 (float64 for
    float64 input).
    """
    _check_channels_first(lab, "lab")
    lab = lab.to(_work_dtype(lab))
    L, a, b = lab.unbind(-3)
    fy = (L + 16.0) / 116.0
    f = torch.stack((fy + a / 500.0, fy, fy - b / 200.0), dim=-3)
    t = torch.where(f**3 > _EPS, f**3, (116.0 * f - 16.0) / _KAPPA)
    white = torch.tensor(_WHITE, dtype=t.dtype, device=t.device).view(3, 1, 1)
    linear = _matmul_channels(t * white, _RGB_FROM_XYZ)
    rgb = torch.where(
        linear > 0.0031308,
        1.055 * linear.clamp(min=0.0031308) ** (1.0 / 2.4) - 0.055,
        12.92 * linear,
    )
    return rgb.clamp(0.0, 1.0)


# --- numpy paths for whole video frames (uint8 in or out), run on every frame of a film ---
# OpenCV does the per-pixel table look-ups and 3x3 / 3x4 transforms: 3-5x faster than numpy's fancy
# indexing and matmul on (H, W, 3) arrays. (Its own float RGB->Lab is not used: it approximates the
# curves and is off by up to 0.5 in a, b.)

_SRGB_LEVELS = np.arange(256, dtype=np.float64) / 255.0
# uint8 sRGB level -> linear light; a table because uint8 input has only 256 values.
_LINEAR_FROM_RGB8 = np.where(
    _SRGB_LEVELS > 0.04045, ((_SRGB_LEVELS + 0.055) / 1.055) ** 2.4, _SRGB_LEVELS / 12.92
).astype(np.float32)
# XYZ already divided by the white, so that t = rgb_linear @ _T_FROM_LINEAR.T feeds f() directly.
_T_FROM_LINEAR = (np.array(_XYZ_FROM_RGB) / np.array(_WHITE)[:, None]).astype(np.float32)
# (fx, fy, fz, 1) -> (L, a, b)
_LAB_FROM_F = np.array([[0, 116, 0, -16], [500, -500, 0, 0], [0, 200, -200, 0]], dtype=np.float32)


def _f_inplace(t: np.ndarray) -> np.ndarray:
    """Lab's companding f(t), computed into t: cube root, a straight line near black."""
    low = t <= _EPS
    low_values = (_KAPPA * t[low] + 16.0) / 116.0
    np.cbrt(t, out=t)
    t[low] = low_values
    return t


def _check_rgb8(img: np.ndarray, name: str = "img") -> None:
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        shape = getattr(img, "shape", None)
        dtype = getattr(img, "dtype", type(img).__name__)
        raise ValueError(f"{name} must be a (H, W, 3) uint8 RGB array, got shape {shape} dtype {dtype}")


def rgb8_to_lab(img: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 sRGB -> (H, W, 3) float32 Lab (L in [0, 100], a, b about [-110, 110]).

    Same numbers as :func:`rgb_to_lab` to within 2e-4 (float32 rounding), several times faster.
    """
    _check_rgb8(img)
    linear = cv2.LUT(np.ascontiguousarray(img), _LINEAR_FROM_RGB8)  # (H, W, 3) float32 in [0, 1]
    t = cv2.transform(linear, _T_FROM_LINEAR)  # (H, W, 3) X/Xn, Y/Yn, Z/Zn
    return cv2.transform(_f_inplace(t), _LAB_FROM_F)


# BT.601 luma weights: what FFmpeg's gray8 and OpenCV's RGB2GRAY give for a colour picture
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])
_GRAY_LEVELS = np.arange(256, dtype=np.float32)


def luma(img: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) float64 BT.601 Y' in [0, 255]."""
    return cv2.transform(img.astype(np.float64), _LUMA_WEIGHTS[None])  # 10x numpy's matmul here


def rgb8_to_film_lab(img: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 sRGB -> (H, W, 3) float32: the picture as memovid learns from it. a, b are CIE
    Lab's; L is the luminance a black-and-white transfer of the picture carries: its BT.601 luma read
    as a gray (``luma_to_L``), which is what colorize makes of the film's gray frames, not its CIE L*.

    The two differ most on saturated colours (a pure blue: luma 11, L* 32), so a model that learned
    on L* and is given luma looks its colours up at the wrong lightness: on four unseen stretches of
    a cartoon, a luminance palette built on L* scored worse than leaving the film gray (notes/NOTES.md).
    """
    lab = rgb8_to_lab(img)
    lab[..., 0] = np.interp(luma(img), _GRAY_LEVELS, _L_FROM_GRAY8)
    return lab


def rgb8_to_L(img: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 sRGB -> (H, W) float32 L in [0, 100] (the L channel of :func:`rgb8_to_lab`).

    A gray picture (every pixel R = G = B: a black-and-white film decoded to RGB) takes one table
    look-up of its level (``luma_to_L``, equal to 1e-5), a third of the time at 720p."""
    _check_rgb8(img)
    if _is_gray(img):
        return cv2.LUT(np.ascontiguousarray(img[..., 0]), _L_FROM_GRAY8)
    linear = cv2.LUT(np.ascontiguousarray(img), _LINEAR_FROM_RGB8)  # (H, W, 3) float32 in [0, 1]
    y = cv2.transform(linear, _T_FROM_LINEAR[1:2])  # (H, W) Y/Yn
    return cv2.transform(_f_inplace(y), _LAB_FROM_F[0:1, 1::2])


def _is_gray(img: np.ndarray) -> bool:
    r, g, b = cv2.split(img)
    return cv2.countNonZero(cv2.absdiff(r, g)) == 0 and cv2.countNonZero(cv2.absdiff(g, b)) == 0


# A grey level g is the sRGB colour (g, g, g), whose Y/Yn is its linear value.
_L_FROM_GRAY8 = (116.0 * _f_inplace(_LINEAR_FROM_RGB8.copy()) - 16.0).astype(np.float32)


def luma_to_L(gray: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """(H, W) uint8 grey levels (decoded luma Y') -> (H, W) float32 L in [0, 100] (into ``out`` when
    given, a float32 array of gray's shape).

    Each level g is read as the sRGB grey (g, g, g): luma_to_L(g) is the L of rgb8_to_lab of that
    grey (to 1e-5), and its a, b are 0. This is how a black-and-white frame enters Lab.
    """
    if not isinstance(gray, np.ndarray) or gray.dtype != np.uint8 or gray.ndim != 2:
        shape = getattr(gray, "shape", None)
        dtype = getattr(gray, "dtype", type(gray).__name__)
        raise ValueError(f"gray must be a (H, W) uint8 array, got shape {shape} dtype {dtype}")
    return cv2.LUT(gray, _L_FROM_GRAY8, dst=out)  # a table look-up: ~4x numpy's fancy indexing at 720p


def image_to_L(image: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """A decoded frame's L, (H, W) float32 in [0, 100]: ``luma_to_L`` of (H, W) uint8 luma (a
    black-and-white film read as such, into ``out`` when given), ``rgb8_to_L`` of (H, W, 3) RGB."""
    return luma_to_L(image, out=out) if image.ndim == 2 else rgb8_to_L(image)


def lab_to_rgb8(lab: np.ndarray) -> np.ndarray:
    """(H, W, 3) float Lab (L in [0, 100], a, b about [-110, 110]) -> (H, W, 3) uint8 sRGB.

    Out-of-gamut colours are clipped per channel, as in :func:`lab_to_rgb`; the result equals
    rounding lab_to_rgb's output to 8 bits except for rare one-level differences at rounding edges.
    """
    if not isinstance(lab, np.ndarray) or lab.ndim != 3 or lab.shape[2] != 3:
        raise ValueError(f"lab must be a (H, W, 3) float array, got shape {getattr(lab, 'shape', None)}")
    # OpenCV's float Lab -> RGB uses the same matrix and white, and is exact to 1e-4 in RGB.
    rgb = cv2.cvtColor(np.ascontiguousarray(lab, dtype=np.float32), cv2.COLOR_Lab2RGB)  # [0, 1]
    # Negatives to 0 first (convertScaleAbs takes |x|); then x 255, rounded half to even and saturated
    # at 255, in one pass: what np.rint(np.clip(x, 0, 1) * 255) gives, 3x faster.
    return cv2.convertScaleAbs(cv2.max(rgb, 0.0), alpha=255.0)


def L_ab_to_rgb8(L: np.ndarray, ab: np.ndarray, scratch: Scratch | None = None) -> np.ndarray:
    """(H, W) L and (H, W, 2) ab (float) -> (H, W, 3) uint8 sRGB, as lab_to_rgb8 of the two stacked
    (stacked by OpenCV: numpy's concatenate of a full-size frame costs as much as the conversion).

    scratch: a memovid.scratch.Scratch for the intermediates and the result (then overwritten by the
    next call with it): a stream of frames converts without fresh full-size arrays."""
    if L.ndim != 2 or ab.shape != (*L.shape, 2):
        raise ValueError(f"L must be (H, W) and ab (H, W, 2) on its grid, got {L.shape} and {ab.shape}")
    if scratch is None:
        a, b = cv2.split(np.ascontiguousarray(ab, dtype=np.float32))
        return lab_to_rgb8(cv2.merge((np.ascontiguousarray(L, dtype=np.float32), a, b)))
    shape = L.shape
    lab = scratch.get("lab", (*shape, 3))
    cv2.mixChannels([np.ascontiguousarray(L, dtype=np.float32), np.ascontiguousarray(ab, dtype=np.float32)],
                    [lab], [0, 0, 1, 1, 2, 2])
    rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB, dst=scratch.get("lab rgb", (*shape, 3)))
    cv2.max(rgb, 0.0, dst=rgb)  # as lab_to_rgb8
    return cv2.convertScaleAbs(rgb, dst=scratch.get("lab rgb8", (*shape, 3), np.uint8), alpha=255.0)
