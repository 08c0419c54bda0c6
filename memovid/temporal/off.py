"""No temporal smoothing: each frame keeps its own prediction (``--temporal off``)."""

from __future__ import annotations

import numpy as np

from memovid.temporal.base import Smoother


class OffSmoother(Smoother):
    def step(self, L: np.ndarray, ab: np.ndarray) -> np.ndarray:
        return ab.copy()
