"""Shot-boundary detectors, by name. A new detector is one module here plus one registry line."""

from memovid.scenes.detectors.base import SceneDetector
from memovid.scenes.detectors.cuts import AdaptiveCutDetector
from memovid.scenes.detectors.dissolves import DissolveDetector
from memovid.scenes.detectors.fades import FadeDetector

DETECTORS: dict[str, type[SceneDetector]] = {
    "cut": AdaptiveCutDetector,
    "fade": FadeDetector,
    "dissolve": DissolveDetector,
}

__all__ = ["DETECTORS", "SceneDetector", "AdaptiveCutDetector", "FadeDetector", "DissolveDetector"]
