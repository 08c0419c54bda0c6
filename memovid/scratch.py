"""Full-size working arrays reused from one frame to the next.

A fresh 720p float array is ~7 MB; glibc hands arrays that large out as new pages, and the kernel
zeroes each page on first touch. On these machines that fault costs more than the arithmetic: Lab ->
RGB of a 720p frame took 26 ms into fresh arrays and 10 ms into reused ones (~5,000 page faults a
frame fewer). Per-frame stages keep their intermediates in a ``Scratch`` instead. One Scratch
belongs to one thread: arrays handed out are overwritten by the next frame's work.
"""

from __future__ import annotations

import numpy as np


class Scratch:
    """Named arrays, made once per shape and dtype and handed out again on every ``get``."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype=np.float32) -> np.ndarray:
        """The array kept under ``name`` (contents left from its last use), remade when the shape or
        dtype asked for differs."""
        array = self._arrays.get(name)
        if array is None or array.shape != tuple(shape) or array.dtype != dtype:
            array = self._arrays[name] = np.empty(shape, dtype)
        return array
