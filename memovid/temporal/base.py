"""The smoother interface and its configuration (defaults live here, once)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from memovid.errors import InputError
from memovid.motion.flow import FlowConfig


@dataclass(frozen=True)
class TemporalConfig:
    """How chroma is held steady within a shot.

    mode: a key of ``memovid.temporal.SMOOTHERS`` ("off", "ema", "flow").
    strength: in [0, 1), the largest weight the carried previous colour gets; 0.7 brings the frame to
        frame ab change of independent jitter down about 3x.
    chroma_tol: ab difference (Lab units) at which carried and current colour stop being treated as
        the same colour: larger differences are real colour changes and pass through.
    luma_tol: for "ema", the luminance change (L units, 0-100) at which a pixel stops being blended.
    look_back: "flow" only: how many previous frames of the shot are warped onto the current one
        (each costs two flow estimates). 1 is a recursive filter on the previous output.
    flow: flow estimation settings for "flow".
    """

    mode: str = "flow"
    strength: float = 0.7
    chroma_tol: float = 8.0
    luma_tol: float = 6.0
    look_back: int = 1
    flow: FlowConfig = FlowConfig()

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength < 1.0:
            raise InputError(f"temporal strength must be in [0, 1), got {self.strength}")
        if self.chroma_tol <= 0 or self.luma_tol <= 0:
            raise InputError("temporal chroma_tol and luma_tol must be > 0")
        if not 1 <= self.look_back <= 8:
            raise InputError(f"temporal look_back must be in 1..8, got {self.look_back}")


class Smoother:
    """One streaming temporal stage: call ``process`` once per frame, in display order.

    Subclasses implement ``step`` (the one required method: one frame within a shot, same shapes and
    ranges as ``process``) and may extend ``reset``. ``process`` enforces the rule that matters most:
    colour never crosses a shot start or a transition frame.
    """

    def __init__(self, config: TemporalConfig = TemporalConfig()) -> None:
        self.config = config
        self.reset()

    def process(self, L: np.ndarray, ab: np.ndarray, *, shot_start: bool, in_transition: bool = False) -> np.ndarray:
        """Smoothed ab for one frame.

        L: (H, W) float32, L in [0, 100] (full-resolution luminance of this frame).
        ab: (H, W, 2) float32, a and b in Lab units (this frame's own prediction).
        shot_start: first frame of a shot: no colour is taken from earlier frames.
        in_transition: part of a fade/dissolve: passed through, and nothing is carried past it.
        Returns (H, W, 2) float32 in Lab units.
        """
        _check(L, ab)
        L = L.astype(np.float32, copy=False)
        ab = ab.astype(np.float32, copy=False)
        if shot_start or in_transition:
            self.reset()
        if in_transition:
            return ab.copy()
        return self.step(L, ab)

    def reset(self) -> None:
        """Forget everything carried from earlier frames (called at shot starts and transitions)."""

    def step(self, L: np.ndarray, ab: np.ndarray) -> np.ndarray:
        """Smoothed ab of a frame that continues the current shot (state may be empty)."""
        raise NotImplementedError


def _check(L: np.ndarray, ab: np.ndarray) -> None:
    if not isinstance(L, np.ndarray) or L.ndim != 2:
        raise InputError(f"L must be an (H, W) array in [0, 100], got shape {getattr(L, 'shape', None)}")
    if not isinstance(ab, np.ndarray) or ab.shape != (*L.shape, 2):
        raise InputError(f"ab must be (H, W, 2) matching L {L.shape}, got {getattr(ab, 'shape', None)}")


def chroma_agreement(carried: np.ndarray, ab: np.ndarray, tol: float) -> np.ndarray:
    """(H, W) in [0, 1]: 1 where carried and current ab are the same colour up to jitter, 0 where not.

    Compared after a light blur so that per-pixel noise does not read as a colour change.
    """
    diff = cv2.blur(carried - ab, (5, 5))
    d2 = diff[..., 0] ** 2 + diff[..., 1] ** 2
    return np.exp(-0.5 * d2 / tol**2)
