"""The scene table: shots that tile the film, the transitions between them, scenes made of shots.

Frame numbers are 0-based with exclusive ends. Every frame of the film belongs to exactly one shot
and one scene (colorize needs that). Gradual transitions are recorded separately: a dissolve's frames
are split between the two shots at its midpoint, a fade's frames stay with the shot that fades, and
``Transition`` spans tell temporal smoothing where it must not reach across.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from typing import Literal

TransitionKind = Literal["cut", "fade_out", "fade_in", "dissolve"]
TRANSITION_KINDS: tuple[str, ...] = ("cut", "fade_out", "fade_in", "dissolve")


@dataclass(frozen=True)
class Shot:
    """Frames [start, end) filmed in one take."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Transition:
    """Frames [start, end) that are in a transition; a cut is empty (start == end == first new frame)."""

    start: int
    end: int
    kind: TransitionKind
    # How clearly the detector saw it (a cut: its change over the local baseline). Decides between two
    # boundaries of one kind closer than min_shot_len; not part of the exported table.
    strength: float = field(default=0.0, compare=False)

    @property
    def boundary(self) -> int:
        """The first frame of the next shot when this transition separates two shots."""
        if self.kind == "dissolve":
            return (self.start + self.end) // 2
        if self.kind == "fade_out":
            return self.end
        return self.start


@dataclass(frozen=True)
class Scene:
    """Frames [start, end) of one event in one place and time, made of the listed shot indices."""

    start: int
    end: int
    shots: list[int]


@dataclass
class SceneTable:
    """The result of scene splitting for one video (see the module docstring for the conventions)."""

    fps: float
    frames: int
    shots: list[Shot] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    scenes: list[Scene] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON schema of DESIGN.md, with ``transitions`` as an extra key."""
        return {
            "fps": float(self.fps),
            "frames": int(self.frames),
            "shots": [{"start": s.start, "end": s.end} for s in self.shots],
            "scenes": [{"start": s.start, "end": s.end, "shots": list(s.shots)} for s in self.scenes],
            "transitions": [
                {"start": t.start, "end": t.end, "kind": t.kind} for t in self.transitions
            ],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent) + "\n"

    def to_csv(self) -> str:
        from memovid.scenes.export import table_to_csv

        return table_to_csv(self)

    def to_edl(self, title: str = "memovid") -> str:
        from memovid.scenes.export import table_to_edl

        return table_to_edl(self, title)

    def rows(self) -> list[dict[str, str]]:
        from memovid.scenes.export import table_rows

        return table_rows(self)

    def scene_of_shot(self) -> list[int]:
        """Scene index of every shot."""
        owner = [0] * len(self.shots)
        for scene_index, scene in enumerate(self.scenes):
            for shot_index in scene.shots:
                owner[shot_index] = scene_index
        return owner

    def shot_of(self, frame: int) -> int:
        """Index of the shot that holds ``frame`` (shots tile the film; past its end: the last shot)."""
        shots, starts = self.__dict__.get("_starts", (None, []))
        if shots is not self.shots or len(starts) != len(self.shots):  # kept: colorize asks every frame
            starts = [shot.start for shot in self.shots]
            self.__dict__["_starts"] = (self.shots, starts)
        return max(0, bisect.bisect(starts, frame) - 1)

    def scene_of(self, frame: int) -> int:
        """Index of the scene that holds ``frame``."""
        return self.scene_of_shot()[self.shot_of(frame)]
