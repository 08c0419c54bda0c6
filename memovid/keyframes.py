"""Keyframes kept inside a model: the few painted (or training) frames whose place in a film is known.

MemoPainter's memory holds global colour features. A keyframe that carries its frame number says more:
when the film being coloured has that very frame (its luminance matches), the keyframe's ab can be
moved along the motion of its shot onto neighbouring frames (memovid.guide). The store keeps each
keyframe at working size: luminance (uint8) and ab (float16), a few hundred kB each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MATCH_TOLERANCE = 6.0   # mean |L8 difference| (0-255) under which a film frame is the keyframe's frame


@dataclass
class Keyframe:
    """frame: frame number in the film. L8: (h, w) uint8 luminance. ab: (h, w, 2) float32, Lab units."""

    frame: int
    L8: np.ndarray
    ab: np.ndarray
    source: str

    def matches(self, L8: np.ndarray) -> bool:
        """Is this film frame (uint8 luminance, any size) the picture the keyframe was painted on?"""
        import cv2

        if L8.shape != self.L8.shape:
            L8 = cv2.resize(L8, (self.L8.shape[1], self.L8.shape[0]), interpolation=cv2.INTER_AREA)
        return float(np.abs(L8.astype(np.int16) - self.L8.astype(np.int16)).mean()) < MATCH_TOLERANCE


class KeyframeStore:
    """Keyframes by frame number; (de)serialised as plain tensors + JSON for the .memo file."""

    def __init__(self, keyframes: list[Keyframe] | None = None) -> None:
        self.by_frame: dict[int, Keyframe] = {}
        for keyframe in keyframes or []:
            self.add(keyframe)

    def add(self, keyframe: Keyframe) -> None:
        self.by_frame[keyframe.frame] = keyframe

    def __len__(self) -> int:
        return len(self.by_frame)

    def to_tensors(self) -> tuple[dict[str, np.ndarray], list[dict]]:
        """(arrays named keyframe.N.L8 / keyframe.N.ab, JSON-able index) for the model file."""
        arrays, index = {}, []
        for n, keyframe in enumerate(sorted(self.by_frame.values(), key=lambda k: k.frame)):
            arrays[f"keyframe.{n}.L8"] = keyframe.L8
            arrays[f"keyframe.{n}.ab"] = keyframe.ab.astype(np.float16)
            index.append({"frame": keyframe.frame, "source": keyframe.source})
        return arrays, index

    @classmethod
    def from_model(cls, model) -> "KeyframeStore":
        """The keyframes a MemoModel carries (extra tensors + the 'keyframes' metadata index)."""
        arrays = {k: v.cpu().numpy() for k, v in model.extra_tensors.items() if k.startswith("keyframe.")}
        return cls.from_tensors(arrays, model.metadata.get("keyframes", []))

    def into_model(self, model) -> None:
        """Store these keyframes in a MemoModel, replacing the ones it had."""
        import torch

        arrays, index = self.to_tensors()
        kept = {k: v for k, v in model.extra_tensors.items() if not k.startswith("keyframe.")}
        model.extra_tensors = {**kept, **{k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()}}
        model.metadata = {**model.metadata, "keyframes": index}

    @classmethod
    def from_tensors(cls, arrays: dict[str, np.ndarray], index: list[dict]) -> "KeyframeStore":
        return cls([Keyframe(int(entry["frame"]), np.asarray(arrays[f"keyframe.{n}.L8"], np.uint8),
                             np.asarray(arrays[f"keyframe.{n}.ab"], np.float32), str(entry.get("source", "")))
                    for n, entry in enumerate(index)])
