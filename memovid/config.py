"""Defaults and bounds of the main job, in one place.

``train`` and ``colorize`` options, TOML presets and the Python API all read these dataclasses. The
stages keep their own sections beside their code (``memovid.video.options.EncodeOptions``,
``memovid.scenes.config.SceneConfig``, ``memovid.model.config``, ``memovid.temporal``); this module
only holds what belongs to the whole job. Importing it is cheap (no torch).
"""

from __future__ import annotations

from dataclasses import dataclass

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class TrainConfig:
    """How ``memovid train`` learns colour from colour footage and keyframes."""

    size: int = 256                 # working size: the long side of frames the model sees, pixels
    frames_per_scene: int = 10      # the paper's few-shot regime
    steps: int | None = None        # budget; None with minutes None -> auto_steps()
    minutes: float | None = None
    device: str = "auto"
    seed: int = 0
    checkpoint_every: int = 100     # steps between resumable checkpoints
    crop: int = 192                 # square training crops cut from working-size frames
    guide_probability: float = 0.5  # share of steps that train the keyframe-guided path

    def __post_init__(self) -> None:
        _check_device(self.device)
        if not 64 <= self.size <= 2048:
            raise ValueError(f"size must be within [64, 2048], got {self.size}")
        if self.frames_per_scene < 1:
            raise ValueError(f"frames_per_scene must be >= 1, got {self.frames_per_scene}")
        if self.steps is not None and self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.minutes is not None and self.minutes <= 0:
            raise ValueError(f"minutes must be > 0, got {self.minutes}")

    def auto_steps(self, training_frames: int) -> int:
        """A budget that grows with the footage but stays in CPU-minutes for a few-shot set."""
        return int(min(4000, max(300, 40 * training_frames)))


@dataclass(frozen=True)
class ColorizeConfig:
    """How ``memovid colorize`` paints a black-and-white film."""

    size: int | None = None         # working size (long side); None -> the size the model was trained at
    batch_size: int = 8
    device: str = "auto"
    retrieval: str = "scene"        # "scene": top-k voted over the scene; "frame": the paper's per-frame top-1
    guidance: bool = True           # warp same-shot keyframes' colour along motion as the generator's prior
    # ab to full size: "guided" (fast guided filter on the original luminance) or "bilinear". Measured two
    # ways: end to end (benchmarks/quality.py, full-size keyframes) the two are within 0.02 CIEDE2000
    # (tupi 2.36 guided vs 2.38 bilinear; it was 2.64 vs 2.74 with working-size keyframes, where painted
    # ab bleeds over outlines and the filter snaps it back); on a frame's own true chroma
    # (benchmarks/upsample.py) bilinear is better. The default stays guided.
    upsample: str = "guided"
    # How much of the keyframes' moved colour to keep over the generator's guess: "fitted" (a curve over
    # the flow's reliability fitted on the film's own keyframes, memovid.trust) or "flow" (the
    # reliability itself, the prior).
    trust: str = "fitted"
    # Shots no keyframe reaches: part of their colour from the luminance palette of the keyframes most
    # like them (memovid.palette), the share per shot from how far the generator strays from it;
    # False: the generator's alone.
    palette: bool = True

    def __post_init__(self) -> None:
        _check_device(self.device)
        if self.size is not None and not 64 <= self.size <= 2048:
            raise ValueError(f"size must be within [64, 2048], got {self.size}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.retrieval not in ("scene", "frame"):
            raise ValueError(f"retrieval must be 'scene' or 'frame', got {self.retrieval!r}")
        if self.upsample not in ("guided", "bilinear"):
            raise ValueError(f"upsample must be 'guided' or 'bilinear', got {self.upsample!r}")
        if self.trust not in ("fitted", "flow"):
            raise ValueError(f"trust must be 'fitted' or 'flow', got {self.trust!r}")


def _check_device(device: str) -> None:
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
