"""Temporal chroma smoothing within a shot, never across a cut or through a transition.

    smoother = make_smoother(TemporalConfig(mode="flow"))
    for L, ab, start, fade in frames:           # L (H, W) in [0, 100], ab (H, W, 2) Lab units
        ab = smoother.process(L, ab, shot_start=start, in_transition=fade)

A new variant is one module with a ``Smoother`` subclass plus one line in ``SMOOTHERS``.
"""

from __future__ import annotations

from memovid.errors import InputError
from memovid.temporal.base import Smoother, TemporalConfig
from memovid.temporal.ema import EmaSmoother
from memovid.temporal.motion import FlowSmoother
from memovid.temporal.off import OffSmoother

SMOOTHERS: dict[str, type[Smoother]] = {
    "off": OffSmoother,
    "ema": EmaSmoother,
    "flow": FlowSmoother,
}


def make_smoother(config: TemporalConfig = TemporalConfig()) -> Smoother:
    """The registered smoother for ``config.mode``, ready for the first frame of a film."""
    try:
        cls = SMOOTHERS[config.mode]
    except KeyError:
        raise InputError(f"temporal mode must be one of {sorted(SMOOTHERS)}, got {config.mode!r}") from None
    return cls(config)


__all__ = ["SMOOTHERS", "Smoother", "TemporalConfig", "make_smoother"]
