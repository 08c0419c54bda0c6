"""The frame record that flows between decode, the model stages and encode (no av import here)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np


@dataclass(frozen=True, slots=True)
class Luma:
    """A deep source's own luminance, kept beside the 8-bit working picture so that output keeps it.

    plane: (H, W) uint16 code values at ``bits`` (9-16), as the source stores them (a 10-bit studio-range
    Y' runs 64-940, and keeps what lies outside). full_range: code 0 is black (JPEG/PC range), else
    the studio range of video. Made by memovid.video.depth; taken by the writer.
    """

    plane: np.ndarray
    bits: int
    full_range: bool


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded picture.

    image: (H, W, 3) uint8 RGB, or (H, W) uint8 luma (Y' of the source, full range 0-255).
    index: 0-based position in decode (presentation) order.
    pts / time_base: the source timestamp, kept so that encode can reproduce variable frame rates.
    Either may be None for image sequences, where encode falls back to index / frame rate.
    luma: the source's luminance at its own depth when it has more than 8 bits (full-size reads only),
    else None; stages that change the picture keep it (``with_image``): colour goes on, light stays.
    """

    image: np.ndarray
    index: int
    pts: int | None = None
    time_base: Fraction | None = None
    luma: Luma | None = None

    @property
    def time(self) -> float | None:
        """Presentation time in seconds, or None when the source has no timestamps."""
        if self.pts is None or self.time_base is None:
            return None
        return float(self.pts * self.time_base)

    def with_image(self, image: np.ndarray) -> "Frame":
        """The same frame (index, timing) carrying another picture: how stages pass results on."""
        return Frame(image, self.index, self.pts, self.time_base, self.luma)
