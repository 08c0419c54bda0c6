"""``memovid colorize``: paint a black-and-white film with a trained model, scene by scene.

The film is opened once (memovid.paint.film), then read in two streaming passes, memory flat in its
length:

1. analysis, at working size in gray (memovid.paint.analyse): shots and scenes (unless a scene table
   is given), the memory's colour feature voted per scene, the model's keyframes that are frames of
   this very film, and how well the patch memory matches the shots they do not reach;
2. painting (memovid.paint.painter): the colour sources (memovid.paint.sources: the keyframes' moved
   colour, the patch memory's match, the luminance palette, the generator) mixed at working size by
   shares fitted on the film's own keyframes (memovid.paint.mix), held steady within each shot
   (memovid.temporal), brought to full size on the ORIGINAL luminance (grain and detail kept; a
   keyframe's full-size painting moved at full size: memovid.paint.finish) and encoded with the
   source's sound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from memovid.log import logger
from memovid.paint.analyse import Analysis, SceneReport, analyse
from memovid.paint.config import ColorizeConfig
from memovid.paint.film import open_film
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
    output None: found beside the input (memovid.default_paths.colorize_paths; the CLI has already
    resolved both, and passes them).
    """
    from memovid.temporal import TemporalConfig
    from memovid.video import EncodeOptions, check_paths

    if model is None or output is None:
        from memovid.default_paths import colorize_paths

        model, output = colorize_paths(input, model, output, encode)
    check_paths(Path(input), Path(output), overwrite)
    started = time.perf_counter()
    film = open_film(input, model, config, scenes, keyframes)
    analysis = analyse(film, progress)
    _say_paintings(film, analysis)
    frames = paint(film, analysis, Path(output), temporal=temporal or TemporalConfig(), encode=encode or EncodeOptions(),
                   overwrite=overwrite, progress=progress)
    return ColorizeResult(Path(output), frames, time.perf_counter() - started, analysis.reports, analysis)


def _say_paintings(film, analysis: Analysis) -> None:
    """How many of the film's keyframes are moved at full size, and which paintings were not found."""
    from memovid.paint.paintings import missing_paintings

    if not film.config.guidance:
        return
    found = {n: film.paintings[n] for n in analysis.keyframes if n in film.paintings}
    if found:
        logger.info("%d of %d keyframes are moved at full size", len(found), len(analysis.keyframes))
    missing = missing_paintings(analysis.keyframes, found)
    if missing:
        logger.warning("%d keyframe paintings not found (%s%s): their working-size copies are used; "
                       "--keyframes DIR says where they are", len(missing), missing[0], ", ..." if len(missing) > 1 else "")
