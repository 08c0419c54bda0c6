"""Every default and bound of scene splitting, and of splitting a film at scenes for the batch, in one
place (CLI options and TOML presets read these).

Units: frame counts are frames of the source; luma values are on the 0-255 scale of the decoded
gray picture; "change" scores are mean absolute differences, defined where they are computed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from memovid.errors import InputError


@dataclass(frozen=True)
class SceneConfig:
    """Parameters of shot detection and of grouping shots into scenes.

    The defaults were chosen on generated clips and on the paper's definition of a scene, not fitted
    to the benchmark edits (see benchmarks/scenes.py).
    """

    # Working picture: every frame is reduced (cv2.INTER_AREA) so its longer side is this many pixels.
    work_size: int = 128
    # Detectors to run, by registry name (memovid.scenes.detectors.DETECTORS).
    detectors: tuple[str, ...] = ("cut", "fade", "dissolve")

    # Hard cuts: change = mean |a - b| between mean/std-normalised 1/4-size thumbnails
    # (about 1.13 between unrelated pictures, ~0.05-0.5 inside a shot).
    cut_window: int = 3  # neighbours on each side whose median change is the local baseline
    cut_ratio: float = 2.5  # a cut's change is at least this many times the local baseline...
    cut_min_change: float = 0.4  # ...and at least this much in absolute terms
    cut_baseline_floor: float = 0.06  # baseline never below this (static shots are near 0)
    flash_frames: int = 2  # a picture that returns within this many frames was a flash, not a cut
    flash_return: float = 0.5  # "returns": change to the earlier picture below this fraction of the jump

    # Fades: a frame is black when its mean luma and its standard deviation are both low.
    fade_black_mean: float = 24.0
    fade_black_std: float = 12.0
    fade_min_len: int = 3  # fewer ramp frames than this is a cut to/from black, not a fade
    fade_max_len: int = 75
    fade_min_step: float = 0.25  # luma must move at least this much per frame to extend the ramp

    # Dissolves: interior frames must be linear mixes of the two anchor frames around the run.
    dissolve_min_len: int = 4
    dissolve_max_len: int = 48
    dissolve_min_change: float = 18.0  # anchors differ by at least this mean |a - b| (0-255 luma)
    dissolve_max_residual: float = 0.2  # mix residual / anchor change, worst interior frame
    dissolve_max_step: float = 0.5  # largest single-frame change / anchor change (else it is a cut)
    dissolve_min_unexplained: float = 0.5  # anchor change left after aligning them by a global shift

    # Shots.
    min_shot_len: int = 10  # frames; closer boundaries are merged (the stronger one is kept)

    # Grouping shots into scenes.
    group_window: int = 6  # a shot may join a scene if it returns to a setup seen this many shots back
    group_threshold: float = 0.3  # signature distance below which two shots show the same setup
    signature_size: tuple[int, int] = (16, 12)  # (width, height) of the signature thumbnails
    signature_samples: int = 5  # thumbnails kept per shot, spread over the shot
    fade_breaks_scene: bool = True  # a fade to/from black always starts a new scene

    def __post_init__(self) -> None:
        _check_range("work_size", self.work_size, 32, 1024)
        _check_range("cut_window", self.cut_window, 1, 30)
        _check_range("cut_ratio", self.cut_ratio, 1.0, 100.0)
        _check_range("cut_min_change", self.cut_min_change, 0.0, 2.0)
        _check_range("flash_frames", self.flash_frames, 0, 10)
        _check_range("fade_min_len", self.fade_min_len, 1, 1000)
        _check_range("fade_max_len", self.fade_max_len, self.fade_min_len, 1000)
        _check_range("dissolve_min_len", self.dissolve_min_len, 2, 1000)
        _check_range("dissolve_max_len", self.dissolve_max_len, self.dissolve_min_len, 1000)
        _check_range("dissolve_max_residual", self.dissolve_max_residual, 0.0, 1.0)
        _check_range("min_shot_len", self.min_shot_len, 1, 100_000)
        _check_range("group_window", self.group_window, 0, 1000)
        _check_range("group_threshold", self.group_threshold, 0.0, 10.0)
        _check_range("signature_samples", self.signature_samples, 1, 64)
        if len(self.signature_size) != 2 or min(self.signature_size) < 2:
            raise InputError(f"signature_size must be (width, height) >= 2, got {self.signature_size}")
        from memovid.scenes.detectors import check_names

        check_names(self.detectors)

    @classmethod
    def field_names(cls) -> list[str]:
        """Names a preset or ``--set scenes.NAME=VALUE`` may override."""
        return [f.name for f in fields(cls)]


@dataclass(frozen=True)
class SegmentConfig:
    """How the batch's Ray executor splits one film at scene starts into segments (memovid.batch.segments).

    split: split films at scene starts (False: every film is one task).
    min_seconds: shortest segment; consecutive scenes are merged until a segment is this long, since
        each segment pays a fixed cost (model load, decoder start, a keyframe at its start).
    max_segments: at most this many segments per film (0: as many as the scenes allow).
    """

    split: bool = True
    min_seconds: float = 30.0
    max_segments: int = 0

    def __post_init__(self) -> None:
        if not self.min_seconds > 0:
            raise InputError(f"segments min_seconds must be > 0, got {self.min_seconds}")
        if self.max_segments < 0:
            raise InputError(f"segments max_segments must be >= 0, got {self.max_segments}")


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise InputError(f"scenes option {name} must be in [{low}, {high}], got {value}")
