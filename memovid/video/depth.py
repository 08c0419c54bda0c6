"""Deep pictures (9-16 bit): the source's own luminance read beside the 8-bit working copy, and the
output rebuilt from it.

The model paints at 8 bits; what it changes is colour. So the writer takes only the chroma of the
painted picture and puts it beside the source's luminance at the source's depth: a colorized master of
a 16-bit scan keeps the scan's tones (and every neutral pixel of an untouched frame keeps its value).
Chroma planes are computed here with the matrix the output is tagged with (BT.601 when the source
names none), at the output's depth and range.
"""

from __future__ import annotations

import av
import cv2
import numpy as np

from memovid.video.frame import Luma

# Y'CbCr luma weights (Kr, Kb) by FFmpeg's AVColorSpace number; what is not listed is read as BT.601.
_WEIGHTS = {1: (0.2126, 0.0722), 5: (0.299, 0.114), 6: (0.299, 0.114), 7: (0.212, 0.087), 9: (0.2627, 0.0593)}
BT601 = 5
_JPEG_RANGE = 2  # AVCOL_RANGE_JPEG


def bits_of(pix_fmt: str) -> int:
    """Bits per component of an FFmpeg pixel format (8 for what it cannot describe)."""
    try:
        return max(c.bits for c in av.VideoFormat(pix_fmt).components)
    except (ValueError, TypeError):
        return 8


def is_yuv(pix_fmt: str) -> bool:
    """True for Y'CbCr and gray formats (a luminance plane the source's can go into)."""
    fmt = av.VideoFormat(pix_fmt)
    return fmt.components[0].is_luma


def chroma_subsampling(pix_fmt: str) -> tuple[int, int]:
    """(horizontal, vertical) chroma subsampling of a pixel format: (2, 2) for 4:2:0, (2, 1) for 4:2:2,
    (1, 1) for 4:4:4, RGB and gray."""
    fmt = av.VideoFormat(pix_fmt, 2, 2)
    chroma = [c for c in fmt.components if c.is_chroma]
    return (1, 1) if not chroma else (2 // chroma[0].width, 2 // chroma[0].height)


def weights(colorspace: int | None) -> tuple[float, float]:
    """(Kr, Kb) of the colour matrix ``colorspace`` (AVColorSpace), BT.601's for unknown ones."""
    return _WEIGHTS.get(colorspace, _WEIGHTS[BT601])


def read_luma(frame: av.VideoFrame, colorspace: int | None = None) -> Luma | None:
    """The decoded picture's own luminance when it has more than 8 bits, else None.

    Y'CbCr and gray sources give their first plane as stored; RGB-coded ones (gbrp10le, rgb48) give
    Y' computed with ``colorspace``'s weights at 16 bits, full range.
    """
    fmt = frame.format
    bits = max(c.bits for c in fmt.components)
    if bits <= 8:
        return None
    if fmt.components[0].is_luma:
        gray = len(fmt.components) == 1 or (len(fmt.components) == 2 and fmt.components[1].is_alpha)
        full = gray or frame.color_range == _JPEG_RANGE
        return Luma(_plane(frame.planes[0]), bits, full)
    return luma_of_rgb(frame.to_ndarray(format="rgb48le"), colorspace)


def luma_of_rgb(rgb: np.ndarray, colorspace: int | None = None) -> Luma:
    """(H, W, 3) uint16 RGB (or (H, W) uint16 gray) -> its Y' at 16 bits, full range."""
    if rgb.ndim == 2:
        return Luma(np.ascontiguousarray(rgb, dtype=np.uint16), 16, True)
    kr, kb = weights(colorspace)
    y = rgb[..., 0] * kr + rgb[..., 1] * (1.0 - kr - kb) + rgb[..., 2] * kb
    return Luma(np.clip(np.rint(y), 0, 65535).astype(np.uint16), 16, True)


def _plane(plane) -> np.ndarray:
    """A 9-16 bit plane as (H, W) uint16 (FFmpeg pads its rows to line_size bytes)."""
    rows = np.frombuffer(memoryview(plane), np.uint16).reshape(plane.height, plane.line_size // 2)
    return rows[:, :plane.width].copy()


def at_bits(luma: Luma, bits: int) -> np.ndarray:
    """The plane's code values moved to ``bits`` (shifted up exactly, rounded down to fewer bits)."""
    shift = bits - luma.bits
    if shift >= 0:
        return luma.plane.astype(np.uint16) << shift
    return np.minimum((luma.plane.astype(np.uint32) + (1 << (-shift - 1))) >> -shift, (1 << bits) - 1).astype(np.uint16)


def _chroma(image: np.ndarray, colorspace: int | None) -> tuple[np.ndarray, np.ndarray] | None:
    """(Cb, Cr) in [-0.5, 0.5] of an (H, W, 3) uint8 RGB picture; None for a gray one."""
    if image.ndim == 2:
        return None
    kr, kb = weights(colorspace)
    rgb = image.astype(np.float32) / 255.0
    y = rgb[..., 0] * kr + rgb[..., 1] * (1.0 - kr - kb) + rgb[..., 2] * kb
    return (rgb[..., 2] - y) / (2.0 * (1.0 - kb)), (rgb[..., 0] - y) / (2.0 * (1.0 - kr))


def _chroma_codes(c: np.ndarray | None, shape: tuple[int, int], bits: int, full_range: bool) -> np.ndarray:
    mid = 1 << (bits - 1)
    if c is None:
        return np.full(shape, mid, np.uint16)
    scale = ((1 << bits) - 1) if full_range else 224 << (bits - 8)
    return np.clip(np.rint(c * scale + mid), 0, (1 << bits) - 1).astype(np.uint16)


def deep_frame(image: np.ndarray, luma: Luma, pix_fmt: str, colorspace: int | None) -> av.VideoFrame:
    """An ``pix_fmt`` (9-16 bit Y'CbCr) frame: Y' from ``luma`` (its range kept), Cb/Cr from ``image``.

    image: (H, W, 3) uint8 RGB or (H, W) uint8 gray, the same size as luma.plane (both already padded
    to what the format's subsampling needs).
    """
    fmt = av.VideoFormat(pix_fmt, image.shape[1], image.shape[0])
    bits = max(c.bits for c in fmt.components)
    frame = av.VideoFrame(image.shape[1], image.shape[0], pix_fmt)
    frame.color_range = _JPEG_RANGE if luma.full_range else 1
    chroma = _chroma(image, colorspace)
    planes = [at_bits(luma, bits)]
    for k, component in enumerate(fmt.components[1:3]):
        full = _chroma_codes(None if chroma is None else chroma[k], image.shape[:2], bits, luma.full_range)
        if (component.width, component.height) != (image.shape[1], image.shape[0]):
            full = cv2.resize(full, (component.width, component.height), interpolation=cv2.INTER_AREA)
        planes.append(full)
    for plane, values in zip(frame.planes, planes):
        rows = np.zeros((plane.height, plane.line_size // 2), np.uint16)
        rows[:, :plane.width] = values
        plane.update(rows.tobytes())
    return frame


def deep_rgb(image: np.ndarray, luma: Luma, colorspace: int | None = None) -> np.ndarray:
    """(H, W, 3) uint16 RGB from ``luma`` and the chroma of ``image`` ((H, W) uint16 when gray): for
    16-bit PNG/TIFF output. A neutral pixel comes out as its luminance, exactly."""
    y = at_bits(luma, 16).astype(np.float64)
    if not luma.full_range:
        y = (y - (16 << 8)) * (65535.0 / (219 << 8))
    chroma = _chroma(image, colorspace)
    if chroma is None:
        return np.clip(np.rint(y), 0, 65535).astype(np.uint16)
    kr, kb = weights(colorspace)
    cb, cr = (c.astype(np.float64) * 65535.0 for c in chroma)
    r = y + 2.0 * (1.0 - kr) * cr
    b = y + 2.0 * (1.0 - kb) * cb
    g = (y - kr * r - kb * b) / (1.0 - kr - kb)
    return np.clip(np.rint(np.stack([r, g, b], axis=2)), 0, 65535).astype(np.uint16)
