"""Shot-boundary detectors, by name. A new detector is one module here plus one registry line."""

from memovid.errors import InputError
from memovid.scenes.detectors.base import SceneDetector
from memovid.scenes.detectors.cuts import AdaptiveCutDetector
from memovid.scenes.detectors.dissolves import DissolveDetector
from memovid.scenes.detectors.fades import FadeDetector

DETECTORS: dict[str, type[SceneDetector]] = {
    "cut": AdaptiveCutDetector,
    "fade": FadeDetector,
    "dissolve": DissolveDetector,
}



def check_names(names) -> None:
    """InputError unless ``names`` are one or more registered detectors (SceneConfig checks its own)."""
    unknown = [name for name in names if name not in DETECTORS]
    if unknown or not names:
        raise InputError(f"unknown scene detector(s) {unknown or '(none given)'}; choose from {sorted(DETECTORS)}")


def make_detectors(config) -> list[SceneDetector]:
    """The detectors a SceneConfig names (``config.detectors``), ready for a film's first frame."""
    return [DETECTORS[name](config) for name in config.detectors]


__all__ = ["DETECTORS", "SceneDetector", "AdaptiveCutDetector", "FadeDetector", "DissolveDetector", "check_names", "make_detectors"]
