"""The one interface every shot-boundary detector follows (as PySceneDetect's SceneDetector)."""

from __future__ import annotations

import numpy as np

from memovid.scenes.table import Transition


class SceneDetector:
    """Finds transitions in a stream of working-size gray frames.

    Subclasses implement ``process_frame``; the hooks have defaults. Frames arrive in order with
    consecutive indices. A detector may answer late (it looks ahead), but never later than
    ``delay`` frames: after ``process_frame(i, ...)`` it reports no transition that starts before
    ``i - delay`` any more. Memory must stay bounded by ``delay`` frames.

    config: the memovid.scenes.config.SceneConfig (not imported here: the config checks its detector
    names against this package's registry).
    """

    #: the most frames a detector looks back/ahead before a transition is reported
    delay: int = 0

    def __init__(self, config) -> None:
        self.config = config

    def process_frame(self, index: int, gray: np.ndarray) -> list[Transition]:
        """Take frame ``index``, gray: (h, w) uint8 in [0, 255] at working size; return the
        transitions that became certain (in any order, possibly earlier than ``index``)."""
        raise NotImplementedError

    def post_process(self) -> list[Transition]:
        """The film ended: return what is still pending."""
        return []
