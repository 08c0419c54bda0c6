"""Fades to and from black: the mean luma ramps down to a black frame, or up from one."""

from __future__ import annotations

from collections import deque

import numpy as np

from memovid.scenes.detectors.base import SceneDetector
from memovid.scenes.table import Transition


class FadeDetector(SceneDetector):
    """Reports ``fade_out`` [first darkened frame, first black frame) and
    ``fade_in`` [first frame after black, first frame at full level): the frames strictly between
    the full picture and black.

    Black: mean luma <= ``fade_black_mean`` and std <= ``fade_black_std``. The ramp is followed
    frame by frame while the mean moves by at least ``fade_min_step``; a ramp shorter than
    ``fade_min_len`` is a cut to or from black and is left to the cut detector.
    """

    def __init__(self, config) -> None:
        super().__init__(config)
        self.delay = config.fade_max_len + 1
        self._means: deque[tuple[int, float, bool]] = deque(maxlen=config.fade_max_len + 1)
        self._rising_from: int | None = None  # first frame after a black run, while it brightens

    def process_frame(self, index: int, gray: np.ndarray) -> list[Transition]:
        config = self.config
        mean = float(gray.mean())
        black = mean <= config.fade_black_mean and float(gray.std()) <= config.fade_black_std
        previous = self._means[-1] if self._means else None
        found: list[Transition] = []

        if self._rising_from is not None and previous is not None:
            still_rising = not black and mean >= previous[1] + config.fade_min_step
            if not still_rising or index - self._rising_from >= config.fade_max_len:
                # the last frame that rose is the first at full level: the fade ends before it
                end = index - 1 if not still_rising else index
                if end - self._rising_from >= config.fade_min_len and not black:
                    found.append(Transition(self._rising_from, end, "fade_in"))
                self._rising_from = None

        if black and previous is not None and not previous[2]:
            found += self._fade_out_ending_at(index, mean)
        if not black and previous is not None and previous[2]:
            self._rising_from = index
        self._means.append((index, mean, black))
        return found

    def _fade_out_ending_at(self, first_black: int, black_mean: float) -> list[Transition]:
        """Walk back from the first black frame while the picture was getting darker; the earliest
        frame reached is the last one at full level, so the fade starts just after it."""
        full, level = first_black, black_mean
        for index, mean, black in reversed(self._means):
            if black or mean < level + self.config.fade_min_step:
                break
            full, level = index, mean
        start = full + 1
        if first_black - start < self.config.fade_min_len:
            return []
        return [Transition(start, first_black, "fade_out")]
