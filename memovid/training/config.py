"""Defaults and bounds of ``memovid train``, in one place.

``train`` options, TOML presets and the Python API all read this dataclass (the model's own sections
are in ``memovid.model.config``). Importing it is cheap (no torch).
"""

from __future__ import annotations

from dataclasses import dataclass

from memovid.device import check_device


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
    # share of the other samples that train on the semantic guide built from OTHER look-alike groups of
    # the training frames (memovid.paint.semantic.training_guides): the generator learns to discount a
    # bad match, as colorize will hand it one on frames no keyframe of their shot reaches
    semantic_probability: float = 0.5

    def __post_init__(self) -> None:
        check_device(self.device)
        if not 64 <= self.size <= 2048:
            raise ValueError(f"size must be within [64, 2048], got {self.size}")
        if self.frames_per_scene < 1:
            raise ValueError(f"frames_per_scene must be >= 1, got {self.frames_per_scene}")
        if self.steps is not None and self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if not 0.0 <= self.semantic_probability <= 1.0:
            raise ValueError(f"semantic_probability must be within [0, 1], got {self.semantic_probability}")
        if self.minutes is not None and self.minutes <= 0:
            raise ValueError(f"minutes must be > 0, got {self.minutes}")

    def auto_steps(self, training_frames: int) -> int:
        """A budget that grows with the footage but stays in CPU-minutes for a few-shot set."""
        return int(min(4000, max(300, 40 * training_frames)))
