"""What a report shows, as plain data: gathered from video by memovid.report.gather, drawn by
memovid.report.html. Keeping the two apart lets the page be tested in a browser without any video."""

from __future__ import annotations

from dataclasses import dataclass, field

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class SceneEntry:
    """One scene of the report.

    thumbnails: view name ("input", "memovid", "reference") -> image path relative to the HTML file,
        in that display order; a view is absent when its video was not given.
    palette: the colours memovid painted the scene with, (rgb 0-255, weight), weights summing to 1,
        heaviest first.
    confidence: retrieval confidence (mean best-slot cosine similarity, -1..1); None without a model.
    metrics: against the reference when one was given, e.g. {"CIEDE2000": 4.1, "PSNR": 27.3}; else empty.
    flicker: per-frame mean |ab change| from the previous frame (Lab units), at most PLOT_POINTS values.
    frame_confidence: per-frame best-slot similarity, same sampling as flicker; None without a model.
    """

    index: int
    start: int                      # first frame
    end: int                        # one past the last frame
    start_time: float               # seconds
    end_time: float
    thumbnails: dict[str, str]
    palette: list[tuple[RGB, float]]
    mean_colour: RGB                # the scene's average output colour, for the timeline
    confidence: float | None = None
    needs_keyframe: bool = False
    keyframes: int = 0              # keyframes of this film found inside the scene
    metrics: dict[str, float] = field(default_factory=dict)
    flicker: list[float] = field(default_factory=list)
    frame_confidence: list[float] | None = None


@dataclass(frozen=True)
class ReportData:
    """The whole report: where it came from, overall figures, and the scenes in order."""

    title: str
    coloured: str                   # file names as the user gave them
    input: str | None
    reference: str | None
    model: str | None
    frames: int
    fps: float
    width: int
    height: int
    confidence_floor: float         # scenes below it (and with no keyframe) are flagged "needs a keyframe"
    scenes: list[SceneEntry]
    overall: dict[str, float] = field(default_factory=dict)  # whole-film metrics vs the reference

    @property
    def duration(self) -> float:
        return self.frames / self.fps if self.fps else 0.0


PLOT_POINTS = 200  # per-scene plots are resampled to at most this many points: the page stays small
