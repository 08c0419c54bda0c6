"""``memovid suggest``: the frames a colourist should paint next.

colorize knows where it is unsure: a shot with no keyframe of its own whose frames the patch memory
matches poorly (memovid.paint.semantic), or, for a model with too few keyframes for one, a scene whose
frames find no close memory slot (low retrieval confidence) and that has no keyframe of its own. suggest runs colorize's analysis pass, takes those
scenes (or the ``count`` least confident), picks each one's most representative frames
(memovid.scenes.representative) and writes them, at full size, as PNG named with their frame number. Painted
and given back with ``memovid train --update DIR -m MODEL``, they become the scene's keyframes: its
colours come from the memory, and move with the picture through the shot.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2

from memovid.paint.analyse import SceneReport, analyse
from memovid.paint.config import ColorizeConfig
from memovid.paint.film import open_film
from memovid.errors import OutputError
from memovid.progress import ProgressFn, no_progress
from memovid.scenes.representative import representatives
from memovid.textout import write_bytes, write_text

MANIFEST = "suggestions.json"


@dataclass(frozen=True)
class Suggestion:
    frame: int
    time: float                 # seconds from the start
    scene: int
    confidence: float           # the scene's confidence (0..1, memovid.paint.analyse.SceneReport)
    path: str                   # the PNG written


def suggest(input: str | Path, model, output: str | Path, *, per_scene: int = 1, count: int | None = None,
            config: ColorizeConfig = ColorizeConfig(), scenes=None, overwrite: bool = False,
            progress: ProgressFn = no_progress) -> list[Suggestion]:
    """Write the frames to paint next into the folder ``output``; returns them, least confident scene first.

    count: None -> every scene flagged as needing a keyframe; N -> the N least confident scenes,
    flagged or not. per_scene: frames per chosen scene (more cover a scene's different looks).
    """
    from memovid.video import read_frames

    if per_scene < 1 or (count is not None and count < 1):
        raise ValueError(f"per_scene and count must be >= 1, got {per_scene} and {count}")
    input, output = Path(input), Path(output)
    _check_folder(output, overwrite)
    film = open_film(input, model, config, scenes)
    analysis = analyse(film, progress)
    chosen = _weakest(analysis.reports, count)
    frames = {f: r for r in chosen for f in representatives(_where_needed(analysis, r), per_scene)}
    output.mkdir(parents=True, exist_ok=True)
    found: dict[int, Suggestion] = {}
    fps = float(film.info.fps) if film.info.fps else 25.0
    for frame in read_frames(input, mode="rgb", prefetch=2):
        report = frames.get(frame.index)
        if report is None:
            continue
        path = output / f"frame_{frame.index:06d}.png"
        _write_png(path, frame.image)
        seconds = frame.time if frame.time is not None else frame.index / fps
        found[frame.index] = Suggestion(frame.index, round(seconds, 3), report.scene, round(report.confidence, 4), path.name)
        if len(found) == len(frames):
            break
    ordered = sorted(found.values(), key=lambda s: (s.confidence, s.frame))
    write_text(output / MANIFEST, json.dumps([asdict(s) for s in ordered], indent=2) + "\n", overwrite=True)
    return ordered


def _where_needed(analysis, report: SceneReport) -> list:
    """The scene's sampled frames to choose from: those of its shots the patch memory could not match,
    when it names any (a scene keyframed in one shot may hold others the keyframes do not reach)."""
    samples = analysis.scene_samples(report.scene)
    if not report.unmatched_shots:
        return samples
    return [(i, q) for i, q in samples if analysis.table.shot_of(i) in report.unmatched_shots] or samples


def _weakest(reports: list[SceneReport], count: int | None) -> list[SceneReport]:
    by_confidence = sorted(reports, key=lambda r: r.confidence)
    return [r for r in by_confidence if r.needs_keyframe] if count is None else by_confidence[:count]


def _check_folder(output: Path, overwrite: bool) -> None:
    """Never write over a colourist's work: a folder holding images is refused unless overwrite."""
    if output.exists() and not output.is_dir():
        raise OutputError(f"{output} exists and is not a folder")
    if output.is_dir() and any(p.suffix.lower() in (".png", ".jpg", ".jpeg", ".tif", ".tiff") for p in output.iterdir()) \
            and not overwrite:
        raise OutputError(f"{output} already holds images; use --overwrite or another folder")


def _write_png(path: Path, rgb) -> None:
    ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OutputError(f"{path}: could not encode the image")
    write_bytes(path, png.tobytes(), overwrite=True)
