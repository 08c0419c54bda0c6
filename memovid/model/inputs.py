"""Frames and keyframes at the model's working size, in the batches and tensors the model takes.

Shared by colorize's passes (memovid.paint.colorize) and the fits that decide how much of each colour
source it keeps (memovid.paint.mix).
"""

from __future__ import annotations

from typing import Iterator

import cv2
import numpy as np

from memovid.color.levels import AB_SCALE


def working_shape(height: int, width: int, size: int) -> tuple[int, int]:
    """(h, w) with the long side equal to ``size`` (never enlarged), aspect kept, even sides."""
    scale = min(1.0, size / max(height, width))
    return max(2, round(height * scale / 2) * 2), max(2, round(width * scale / 2) * 2)


def resize_to(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if image.shape[:2] == shape:
        return image
    shrinking = shape[0] < image.shape[0]
    return cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def batches(frames: Iterator, size: int) -> Iterator[list]:
    """Lists of ``size`` items from ``frames`` (the last may be shorter)."""
    batch = []
    for frame in frames:
        batch.append(frame)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def L_tensor(L_list: list[np.ndarray], device):
    """(B, 1, h, w) tensor on ``device`` of (h, w) L arrays in [0, 100]."""
    import torch

    return torch.from_numpy(np.stack(L_list)[:, None]).to(device)


def at_size(keyframe, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A model keyframe's (L8, ab) at the working ``shape``: uint8 and float32 (a model's keyframes keep
    their ab in float16, which OpenCV does not resize)."""
    L8 = cv2.resize(keyframe.L8, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    ab = keyframe.ab.astype(np.float32, copy=False)
    return L8, cv2.resize(ab, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def guide_planes(ab: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """One frame's guide input to the generator: (3, h, w) float32 = (a, b) / AB_SCALE and the
    guidance weight in [0, 1]. ab: (h, w, 2) Lab units; weight: (h, w)."""
    out = np.empty((3, *weight.shape), np.float32)
    out[:2] = ab.transpose(2, 0, 1) / AB_SCALE
    out[2] = weight
    return out


def guide_tensor(guides: list, shape: tuple[int, int], device):
    """(B, 3, h, w) guide_planes of each frame's Guidance (memovid.motion.guide); zeros for frames
    without keyframe guidance; None when no frame has any."""
    import torch

    if all(g is None for g in guides):
        return None
    out = np.zeros((len(guides), 3, *shape), np.float32)
    for i, g in enumerate(guides):
        if g is not None:
            out[i] = guide_planes(g.ab, g.weight)
    return torch.from_numpy(out).to(device)
