"""Keyframes kept inside a model: the few painted (or training) frames whose place in a film is known.

MemoPainter's memory holds global colour features. A keyframe that carries its frame number says more:
when the film being coloured has that very frame (its luminance matches), the keyframe's ab can be
moved along the motion of its shot onto neighbouring frames (memovid.motion.guide). The store keeps each
keyframe at working size: luminance (uint8) and ab (float16), a few hundred kB each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

MATCH_TOLERANCE = 6.0   # mean |L8 difference| (0-255), after the grade is matched, under which a film frame is the keyframe's
MATCH_WIDTH = 64        # both pictures are compared this wide: grain and compression noise average out
MATCH_GAIN = (0.5, 2.0)  # contrast a grade may change by; an unrelated picture fits only with a gain near 0
MATCH_CORRELATION = 0.95  # ... or, over this correlation, the same picture with a gap that varies by hue
FLAT = 2.0               # spread (L8 levels at MATCH_WIDTH) under which a picture has nothing to correlate


@dataclass
class Keyframe:
    """frame: frame number in the film. L8: (h, w) uint8 luminance. ab: (h, w, 2) Lab units, float32,
    or float16 as the model file holds it (a view of the model's own tensor: a keyframe read from a
    model costs no memory of its own; memovid.model.inputs.at_size gives float32 where it is used)."""

    frame: int
    L8: np.ndarray
    ab: np.ndarray
    source: str

    def matches(self, L8: np.ndarray) -> bool:
        """Is this film frame (uint8 luminance, any size) the picture the keyframe was painted on?

        Up to a grade: a black-and-white print is not the painting's CIE lightness, and prints differ in
        brightness and contrast. So the film frame is fitted to the keyframe by gain (within
        MATCH_GAIN) and offset, both seen at MATCH_WIDTH so that grain and compression do not count,
        and what is left must be under MATCH_TOLERANCE; or, where the gap differs by hue and no gain
        maps one onto the other, the two must correlate over MATCH_CORRELATION. The measurements
        behind these bounds are in notes/NOTES.md ("Keyframe match").
        """
        film, painted = (_match_view(x, self.L8.shape) for x in (L8, self.L8))
        film, painted = film - film.mean(), painted - painted.mean()  # the offset fitted: means aligned
        variance, covariance = float((film ** 2).mean()), float((film * painted).mean())
        gain = covariance / variance if variance > 1e-6 else 1.0
        gain = min(max(gain, MATCH_GAIN[0]), MATCH_GAIN[1])
        if float(np.abs(gain * film - painted).mean()) < MATCH_TOLERANCE:
            return True
        film_spread, painted_spread = variance ** 0.5, float(painted.std())
        if film_spread < FLAT or painted_spread < FLAT:  # a flat picture correlates with anything
            return False
        return covariance / (film_spread * painted_spread) >= MATCH_CORRELATION

    def on_film(self, L8: np.ndarray) -> "Keyframe":
        """This keyframe with the film frame's own luminance (any size; a frame that ``matches``): the
        flow then follows the film from film to film, not from the painting's L* through the grade."""
        import cv2

        if L8.shape != self.L8.shape:
            L8 = cv2.resize(L8, (self.L8.shape[1], self.L8.shape[0]), interpolation=cv2.INTER_AREA)
        return replace(self, L8=L8)


def _match_view(L8: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``L8`` as float32 at MATCH_WIDTH wide on the grid of ``shape`` (aspect kept)."""
    import cv2

    h, w = shape
    size = (min(w, MATCH_WIDTH), max(1, round(h * min(w, MATCH_WIDTH) / w)))
    if L8.shape != (h, w):
        L8 = cv2.resize(L8, (w, h), interpolation=cv2.INTER_AREA)
    return cv2.resize(L8, size, interpolation=cv2.INTER_AREA).astype(np.float32)


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
        # ab stays as stored (float16), not copied to float32: colorize holds every keyframe of the film
        # it verified, and a model keyframed every 13 frames over a reel has hundreds (0.3 MB each at
        # float32 and 144x256: the 1320-frame profile film's 110 took 61 MiB of its peak).
        return cls([Keyframe(int(entry["frame"]), np.asarray(arrays[f"keyframe.{n}.L8"], np.uint8),
                             np.asarray(arrays[f"keyframe.{n}.ab"]), str(entry.get("source", "")))
                    for n, entry in enumerate(index)])
