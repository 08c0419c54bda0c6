"""The film being painted, opened once: what colorize's two passes, ``report`` and ``suggest`` share.

``open_film`` checks the keyframe folders, probes the film, loads the model onto its device, reads a
given scene table, picks the working size and finds the full-size paintings of the model's keyframes
(memovid.paint.paintings). The passes take the ``Film`` it returns instead of a row of arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from memovid.errors import InputError
from memovid.paint.config import ColorizeConfig


@dataclass(frozen=True)
class Film:
    """One black-and-white film opened for painting.

    path: the film. info: memovid.video.MediaInfo (its frame count may be an estimate). model: the
    MemoModel on its device, in eval mode. shape: the working (h, w). config: how to paint it.
    scenes: a given memovid.scenes.SceneTable, or None to detect the film's own. paintings: frame
    number -> the full-size painting of each model keyframe that could be found (checked against the
    film when read: memovid.paint.paintings.full_size_ab); empty without guidance.
    """

    path: Path
    info: object
    model: object
    shape: tuple[int, int]
    config: ColorizeConfig
    scenes: object = None
    paintings: dict[int, Path] = field(default_factory=dict)

    @property
    def frames(self) -> int | None:
        """The frame count the container gives, for progress (may be an estimate)."""
        return self.info.frames


def open_film(input: str | Path, model, config: ColorizeConfig = ColorizeConfig(), scenes=None,
              keyframes=()) -> Film:
    """The Film of ``input`` painted by ``model`` (a MemoModel or a .memo path).

    scenes: a SceneTable, a scene JSON path, or None (detected in pass 1). keyframes: folders of the
    model's keyframes painted at full size (named by frame number); the paths the model recorded are
    tried too.
    """
    from memovid.device import resolve_device
    from memovid.model.bundle import MemoModel
    from memovid.model.inputs import working_shape
    from memovid.scenes import load_scene_table
    from memovid.video import probe

    for folder in keyframes:
        if not Path(folder).is_dir():
            raise InputError(f"{folder}: keyframe folder does not exist")
    input = Path(input)
    info = probe(input)
    device = resolve_device(config.device)
    model = model.to(device) if isinstance(model, MemoModel) else MemoModel.load(model, device=device)
    model.eval()
    if scenes is not None and not hasattr(scenes, "scenes"):
        scenes = load_scene_table(scenes, frames=info.frames if not info.frames_estimated else None)
    size = config.size or int(model.metadata.get("train", {}).get("size", 256))
    return Film(input, info, model, working_shape(info.height, info.width, size), config, scenes,
                _paintings(model, keyframes) if config.guidance else {})


def _paintings(model, folders) -> dict[int, Path]:
    """Frame number -> the full-size painting of each of the model's keyframes that can be found."""
    from memovid.model.keyframes import KeyframeStore
    from memovid.paint.paintings import full_size_sources

    return full_size_sources(KeyframeStore.from_model(model).by_frame, [Path(k) for k in folders])
