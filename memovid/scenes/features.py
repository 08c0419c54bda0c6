"""Cheap picture reductions shared by the detectors and the shot signatures (numpy + cv2 only)."""

from __future__ import annotations

import cv2
import numpy as np

from memovid.errors import InputError


def working_size(height: int, width: int, longest: int) -> tuple[int, int]:
    """(height, width) with the longer side reduced to ``longest`` (never enlarged)."""
    scale = min(1.0, longest / max(height, width))
    return max(1, int(round(height * scale))), max(1, int(round(width * scale)))


def to_working_gray(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W, 3) RGB or (H, W) uint8 -> (h, w) uint8 luma at ``size`` = (h, w).

    Reduces before converting colour so that a 720p RGB frame costs one INTER_AREA pass.
    """
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (
        image.ndim == 3 and image.shape[2] not in (1, 3)
    ):
        raise InputError(
            f"scene splitting expects (H, W) or (H, W, 3) uint8 frames, got {image.shape} {image.dtype}"
        )
    height, width = size
    if image.shape[:2] != (height, width):
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    if image.ndim == 3:
        image = image[:, :, 0] if image.shape[2] == 1 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(image)


def shrink(gray: np.ndarray, factor: int) -> np.ndarray:
    """(h, w) uint8 -> (h // factor, w // factor) float32 luma in [0, 255], area-averaged."""
    height, width = gray.shape
    size = (max(2, width // factor), max(2, height // factor))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def normalised(thumb: np.ndarray, std_floor: float = 10.0) -> np.ndarray:
    """Zero mean, unit contrast: brightness/contrast flicker of old film cancels out.

    The floor keeps near-black or flat pictures near zero instead of amplifying their noise.
    """
    return (thumb - thumb.mean()) / max(float(thumb.std()), std_floor)


def change(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two same-size pictures."""
    return float(np.abs(a - b).mean())
