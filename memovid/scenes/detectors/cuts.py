"""Hard cuts with an adaptive threshold, robust to camera motion and to flash frames."""

from __future__ import annotations

import numpy as np

from memovid.scenes.detectors.base import SceneDetector
from memovid.scenes.features import change, normalised, shrink
from memovid.scenes.table import Transition


class AdaptiveCutDetector(SceneDetector):
    """A cut at frame t when the change t-1 -> t stands out from its neighbours' changes.

    Change is measured on 1/4-size thumbnails normalised to zero mean and unit contrast, so global
    flicker does not count and small motion averages out. The threshold is relative to the median
    change of ``cut_window`` frames on each side (a fast pan raises its own baseline), with an
    absolute floor. A jump is a flash, not a cut, when the picture comes back within
    ``flash_frames`` frames (frame t+k resembles t-1, or t resembles t-1-k).
    """

    def __init__(self, config) -> None:
        super().__init__(config)
        self.ahead = max(config.cut_window, config.flash_frames)
        self.delay = self.ahead + 1
        self._thumbs: dict[int, np.ndarray] = {}  # index -> (h/4, w/4) float32 normalised
        self._scores: dict[int, float] = {}  # index -> change from index - 1
        self._last = -1

    def process_frame(self, index: int, gray: np.ndarray) -> list[Transition]:
        thumb = normalised(shrink(gray, 4))
        previous = self._thumbs.get(index - 1)
        if previous is not None:
            self._scores[index] = change(previous, thumb)
        self._thumbs[index] = thumb
        self._last = index
        found = self._decide(index - self.ahead)
        self._forget(index)
        return found

    def post_process(self) -> list[Transition]:
        found: list[Transition] = []
        for index in range(max(0, self._last - self.ahead + 1), self._last + 1):
            found += self._decide(index)
        return found

    def _decide(self, t: int) -> list[Transition]:
        score = self._scores.get(t)
        config = self.config
        if score is None or score < config.cut_min_change:
            return []
        window = range(t - config.cut_window, t + config.cut_window + 1)
        neighbours = [self._scores[k] for k in window if k != t and k in self._scores]
        baseline = max(float(np.median(neighbours)) if neighbours else 0.0, config.cut_baseline_floor)
        if score < config.cut_ratio * baseline:
            return []
        limit = config.flash_return * score
        before = self._thumbs[t - 1]
        for k in range(1, config.flash_frames + 1):
            after = self._thumbs.get(t + k)
            if after is not None and change(before, after) < limit:
                return []  # the picture before came back: t was a flash
            earlier = self._thumbs.get(t - 1 - k)
            if earlier is not None and change(earlier, self._thumbs[t]) < limit:
                return []  # t returns to a picture before a flash
        return [Transition(t, t, "cut", strength=score / baseline)]

    def _forget(self, index: int) -> None:
        keep_thumbs = index - self.ahead - self.config.flash_frames - 2
        keep_scores = index - self.ahead - self.config.cut_window - 1
        for key in [k for k in self._thumbs if k < keep_thumbs]:
            del self._thumbs[key]
        for key in [k for k in self._scores if k < keep_scores]:
            del self._scores[key]
