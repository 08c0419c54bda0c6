"""``memovid colorize``: paint a black-and-white film with a trained model, scene by scene.

Two streaming passes over the film, memory flat in its length:

1. analysis, at working size in gray: split shots and scenes (unless a scene table is given), query
   the memory for every frame, let the frames of each scene vote for one colour feature
   (memovid.paint.retrieval), and find the model's keyframes that are frames of this very film
   (memovid.paint.analyse);
2. painting, at full size: the generator paints ab at working size from the luminance, the scene's
   colour feature and, where the shot has keyframes, their motion-warped ab (memovid.motion.guide);
   chroma is held steady within each shot (memovid.temporal), upsampled edge-aware onto the ORIGINAL
   full-resolution luminance (grain and detail kept) and encoded with the source's sound. Where a
   keyframe's full-size painting can be read, its colour is moved at full size and kept over the
   upsampled guess by a trust curve over the flow's reliability, fitted on the film's own keyframes
   (memovid.paint.trust; the fits are in memovid.paint.shares): a colourist's keyframe comes out at its own resolution.
   In fades, chroma dims with the light (memovid.paint.fades). See memovid.paint.painter.

Decoding runs in a background thread (bounded queue) while the model works in batches.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from memovid.errors import InputError
from memovid.log import logger
from memovid.model.inputs import working_shape
from memovid.paint.analyse import Analysis, SceneReport, analyse
from memovid.paint.config import ColorizeConfig
from memovid.paint.painter import paint
from memovid.progress import ProgressFn, no_progress


@dataclass(frozen=True)
class ColorizeResult:
    output: Path
    frames: int
    seconds: float
    scenes: list[SceneReport] = field(default_factory=list)
    analysis: "Analysis | None" = field(default=None, repr=False)  # pass 1, for a report without a re-run

    @property
    def fps(self) -> float:
        return self.frames / max(self.seconds, 1e-9)


def colorize(input: str | Path, model=None, output: str | Path | None = None, *, config: ColorizeConfig = ColorizeConfig(),
             temporal=None, encode=None, scenes=None, keyframes=(), overwrite: bool = False,
             progress: ProgressFn = no_progress) -> ColorizeResult:
    """Colorize ``input`` with ``model`` (a MemoModel or a .memo path) into ``output``.

    temporal: memovid.temporal.TemporalConfig (default: flow smoothing). encode:
    memovid.video.EncodeOptions. scenes: a SceneTable or a scene JSON path to use instead of detection.
    keyframes: folders of the model's keyframes painted at full size (named by frame number); the
    paths the model recorded are tried too (memovid.paint.paintings.full_size_sources). model or
    output None: found beside the input (memovid.default_paths.colorize_paths).
    """
    from memovid.default_paths import colorize_paths
    from memovid.temporal import TemporalConfig
    from memovid.video import EncodeOptions, check_paths

    model, output = colorize_paths(input, model, output, encode)
    input = Path(input)
    check_paths(input, output, overwrite)
    started = time.perf_counter()
    for folder in keyframes:
        if not Path(folder).is_dir():
            raise InputError(f"{folder}: keyframe folder does not exist")
    info, model, shape, scenes = prepare(input, model, config, scenes)
    analysis = analyse(input, model, shape, config, scenes, progress, info.frames)
    if config.guidance:
        from memovid.paint.paintings import full_size_sources, missing_paintings

        analysis.full_size = full_size_sources(analysis.keyframes, [Path(k) for k in keyframes])
        if analysis.full_size:
            logger.info("%d of %d keyframes are moved at full size", len(analysis.full_size), len(analysis.keyframes))
        missing = missing_paintings(analysis.keyframes, analysis.full_size)
        if missing:
            logger.warning("%d keyframe paintings not found (%s%s): their working-size copies are used; "
                           "--keyframes DIR says where they are", len(missing), missing[0], ", ..." if len(missing) > 1 else "")
    frames = paint(input, output, model, analysis, shape, config, temporal or TemporalConfig(),
                   encode or EncodeOptions(), overwrite, info.frames, progress)
    return ColorizeResult(output, frames, time.perf_counter() - started, analysis.reports, analysis)


def prepare(input: Path, model, config: ColorizeConfig, scenes):
    """What pass 1 needs, shared by colorize, suggest and report: (probe info, the model on its
    device in eval mode, the working shape (h, w), a SceneTable or None to detect)."""
    from memovid.device import resolve_device
    from memovid.model.bundle import MemoModel
    from memovid.scenes import load_scene_table
    from memovid.video import probe

    info = probe(input)
    device = resolve_device(config.device)
    model = model.to(device) if isinstance(model, MemoModel) else MemoModel.load(model, device=device)
    model.eval()
    if scenes is not None and not hasattr(scenes, "scenes"):
        scenes = load_scene_table(scenes, frames=info.frames if not info.frames_estimated else None)
    size = config.size or int(model.metadata.get("train", {}).get("size", 256))
    return info, model, working_shape(info.height, info.width, size), scenes
