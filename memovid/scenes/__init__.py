"""Scene splitting: shot boundaries on luminance (cuts, fades, dissolves) and shots grouped into
scenes, with CSV / JSON / EDL export and a loader for hand-edited tables."""

from memovid.scenes.config import SceneConfig
from memovid.scenes.detectors import DETECTORS, SceneDetector
from memovid.scenes.load import load_scene_table, parse_scene_table
from memovid.scenes.splitter import SceneSplitter, detect_scenes, split_file
from memovid.scenes.table import Scene, SceneTable, Shot, Transition

__all__ = [
    "DETECTORS", "Scene", "SceneConfig", "SceneDetector", "SceneSplitter", "SceneTable", "Shot",
    "Transition", "detect_scenes", "load_scene_table", "parse_scene_table", "split_file",
]
