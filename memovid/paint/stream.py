"""The frames of pass 2 on their way: one Item per frame, where it falls in the scene table, and the
film's second read where its full-size pictures are not held (memovid.paint.painter)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import cv2
import numpy as np

from memovid.timing import stage


@dataclass
class Item:
    """One frame on its way through pass 2."""

    index: int
    size: tuple[int, int]       # the film's (H, W)
    L_small: np.ndarray         # (h, w) float32 at working size
    scene: int
    shot: int
    shot_start: bool
    in_transition: bool
    guide: object = None        # memovid.motion.guide.Guidance from the shot's keyframes, or None
    semantic: object = None     # memovid.paint.semantic.SemanticGuide where no keyframe guides the frame
    frame: object = None        # the decoded full-size Frame, or None where the film is read twice


class Timeline:
    """Walks a scene table frame by frame: which scene and shot, shot start, inside a transition."""

    def __init__(self, table) -> None:
        self.table = table
        self.scene_of_shot = table.scene_of_shot()
        self.transition = iter(sorted((t for t in table.transitions if t.end > t.start), key=lambda t: t.start))
        self.next_transition = next(self.transition, None)

    def at(self, index: int) -> tuple[int, int, bool, bool]:
        """(scene, shot, shot_start, in_transition) for frame ``index`` (called in increasing order)."""
        shot = self.table.shot_of(index)
        while self.next_transition is not None and index >= self.next_transition.end:
            self.next_transition = next(self.transition, None)
        in_transition = self.next_transition is not None and self.next_transition.start <= index
        return self.scene_of_shot[shot], shot, index == self.table.shots[shot].start, in_transition


def locate_frames(frames: Iterator, table, shape: tuple[int, int], keep: bool = True) -> Iterator[Item]:
    """One Item per frame, at working ``shape``, placed in ``table``. frames: (H, W) uint8 luma (a
    black-and-white film) or (H, W, 3) RGB; ``keep``: the items carry their full-size frame (else the
    finishing thread reads it again: Pictures)."""
    from memovid.color.lab import image_to_L

    timeline = Timeline(table)
    for f in frames:
        with stage("resize to working size"):
            L_small = image_to_L(cv2.resize(f.image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA))
        yield Item(f.index, f.image.shape[:2], L_small, *timeline.at(f.index), frame=f if keep else None)


class Pictures:
    """The film's full-size frames, read a second time and handed out by index, in order (the
    finishing thread's side of pass 2 where the film is read twice; None: the film is read once).
    A context manager: leaving it closes the reader."""

    def __init__(self, frames: Iterator | None) -> None:
        self._frames = frames if frames is not None else iter(())

    def at(self, index: int):
        """The frame numbered ``index`` (indices asked for only ever grow)."""
        for frame in self._frames:
            if frame.index == index:
                return frame
            if frame.index > index:
                break
        raise RuntimeError(f"the second read of the film has no frame {index}")

    def __enter__(self) -> "Pictures":
        return self

    def __exit__(self, *exc) -> None:
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()
