"""Gathering a report's figures and thumbnails from video, in one streaming pass over the films.

The scene table and the retrieval confidence come from colorize's analysis pass (given, or run here
when a model is given); without a model the scenes are detected on the black-and-white input (or the
coloured film's luminance). Then the coloured film, the input and the reference are decoded in
lockstep at a small size: per-frame flicker, per-scene metrics, palette and mean colour, and one
thumbnail per view at each scene's middle frame. Only per-frame floats are kept, so memory is flat
in the film's length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from memovid.color.features import AB_MAX, AB_STEP
from memovid.color.lab import lab_to_rgb8, rgb8_to_lab
from memovid.paint.analyse import analyse
from memovid.paint.film import open_film
from memovid.model.confidence import CONFIDENCE_FLOOR
from memovid.paint.config import ColorizeConfig
from memovid.errors import InputError
from memovid.report.metrics import ab_change, mean_ciede2000, psnr
from memovid.progress import ProgressFn, no_progress
from memovid.report.model import PLOT_POINTS, ReportData, SceneEntry

MEASURE_SIZE = 256      # long side at which figures are computed: enough for colour, cheap per frame
THUMB_SIZE = 360        # long side of thumbnails
PALETTE_COLOURS = 8
_GRID = int(2 * AB_MAX / AB_STEP) + 1


def files_folder(html: Path) -> Path:
    """The side folder of a report's images: ``report.html`` -> ``report_files/``."""
    return html.with_name(html.stem + "_files")


def gather(coloured: str | Path, html: str | Path, *, input: str | Path | None = None,
           reference: str | Path | None = None, model=None, model_name: str | None = None, analysis=None,
           config: ColorizeConfig = ColorizeConfig(), scenes=None,
           progress: ProgressFn = no_progress) -> ReportData:
    """Figures and thumbnails for a report on ``coloured``; images go to files_folder(html).

    model: a MemoModel or .memo path (retrieval confidence and palettes); analysis: colorize's pass-1
    result when the caller already has it (colorize --report).
    """
    from memovid.scenes import load_scene_table, split_file
    from memovid.video import probe

    coloured, html = Path(coloured), Path(html)
    source = Path(input) if input is not None else coloured
    info = probe(coloured)
    if model is not None:
        model_name = model_name or (str(model) if isinstance(model, (str, Path)) else None)
        film = open_film(source, model, config, scenes)
        model, scenes = film.model, film.scenes
        if analysis is None:
            analysis = analyse(film, progress)
    if analysis is not None:
        table = analysis.table
    elif scenes is not None:
        table = scenes if hasattr(scenes, "scenes") else load_scene_table(scenes)
    else:
        table = split_file(source, progress=progress)
    folder = files_folder(html)
    folder.mkdir(parents=True, exist_ok=True)
    acc = [_SceneAccumulator(s.start, s.end) for s in table.scenes]
    frames = _measure(coloured, input, reference, table, acc, folder, progress)
    if frames == 0:
        raise InputError(f"{coloured}: no frames could be decoded")
    fps = float(info.fps) if info.fps else 25.0
    entries = [_entry(i, a, table.scenes[i], analysis, model, fps, folder.name) for i, a in enumerate(acc)]
    overall = {}
    if reference is not None:
        measured = [a for a in acc if a.metric_frames]
        n = sum(a.metric_frames for a in measured)
        if n:
            overall = {"CIEDE2000": sum(a.ciede_sum for a in measured) / n, "PSNR": sum(a.psnr_sum for a in measured) / n}
    return ReportData(title=f"memovid report: {coloured.name}", coloured=str(coloured),
                      input=None if input is None else str(input),
                      reference=None if reference is None else str(reference), model=model_name,
                      frames=frames, fps=fps, width=info.width, height=info.height,
                      confidence_floor=CONFIDENCE_FLOOR, scenes=entries, overall=overall)


@dataclass
class _SceneAccumulator:
    """What one scene collects during the pass (a few numbers per frame)."""

    start: int
    end: int
    flicker: list[float] = field(default_factory=list)
    ciede_sum: float = 0.0
    psnr_sum: float = 0.0
    metric_frames: int = 0
    rgb_sum: np.ndarray = field(default_factory=lambda: np.zeros(3))
    ab_counts: np.ndarray = field(default_factory=lambda: np.zeros(_GRID * _GRID))
    L_sums: np.ndarray = field(default_factory=lambda: np.zeros(_GRID * _GRID))
    thumbnails: dict[str, str] = field(default_factory=dict)


def _measure(coloured: Path, input, reference, table, acc: list[_SceneAccumulator], folder: Path,
             progress: ProgressFn) -> int:
    from memovid.video import read_frames

    streams = {"memovid": read_frames(coloured, mode="rgb", max_size=MEASURE_SIZE * 4, prefetch=4)}
    if input is not None:
        streams["input"] = read_frames(input, mode="rgb", max_size=MEASURE_SIZE * 4, prefetch=2)
    if reference is not None:
        streams["reference"] = read_frames(reference, mode="rgb", max_size=MEASURE_SIZE * 4, prefetch=2)
    scene, previous_ab, done = 0, None, 0
    for views in _aligned(streams, {"memovid": coloured, "input": input, "reference": reference}):
        index = views["memovid"].index
        while scene < len(acc) - 1 and index >= acc[scene].end:
            scene, previous_ab = scene + 1, None
        a = acc[scene]
        small = {k: _shrink(f.image, MEASURE_SIZE) for k, f in views.items()}
        lab = rgb8_to_lab(small["memovid"])
        a.flicker.append(0.0 if previous_ab is None else ab_change(previous_ab, lab[..., 1:]))
        previous_ab = lab[..., 1:]
        a.rgb_sum += small["memovid"].reshape(-1, 3).mean(0)
        _count_colours(a, lab)
        if "reference" in small and small["reference"].shape == small["memovid"].shape:
            a.ciede_sum += mean_ciede2000(lab, rgb8_to_lab(small["reference"]))
            a.psnr_sum += min(psnr(small["memovid"], small["reference"]), 100.0)
            a.metric_frames += 1
        if index == (a.start + a.end - 1) // 2:
            for view, frame in views.items():
                name = f"scene{scene:04d}_{view}.jpg"
                rgb = frame.image if view != "input" else np.repeat(cv2.cvtColor(frame.image, cv2.COLOR_RGB2GRAY)[..., None], 3, 2)
                cv2.imwrite(str(folder / name), cv2.cvtColor(_shrink(rgb, THUMB_SIZE), cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, 88])
                a.thumbnails[view] = f"{folder.name}/{name}"
        done += 1
        progress("report", done, None)
    return done


def _aligned(streams: dict, paths: dict):
    """{view: frame} per frame of the coloured film (the first stream), every frame of it; a shorter
    input or reference just drops out of the later views, and a length mismatch is said once, with
    the counts, instead of silently cutting the report short (zip would stop at the shortest)."""
    from memovid.log import logger

    first, *others = streams
    rest = {name: iter(streams[name]) for name in others}
    counts = dict.fromkeys(streams, 0)
    for frame in streams[first]:
        views = {first: frame}
        counts[first] += 1
        for name, frames in rest.items():
            other = next(frames, None)
            if other is not None:
                views[name] = other
                counts[name] += 1
        yield views
    for name, frames in rest.items():
        counts[name] += sum(1 for _ in frames)
        if counts[name] != counts[first]:
            logger.warning("%s has %d frames, %s %d: the report compares the first %d", paths[name], counts[name],
                           paths[first], counts[first], min(counts[name], counts[first]))


def _shrink(rgb: np.ndarray, size: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    if scale >= 1:
        return rgb
    return cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _cells(ab: np.ndarray) -> np.ndarray:
    """ab (..., 2) -> flat index of its nearest cell on the colour features' 10-unit ab grid."""
    g = np.clip(np.rint((ab + AB_MAX) / AB_STEP), 0, _GRID - 1).astype(np.int64)
    return g[..., 0] * _GRID + g[..., 1]


def _count_colours(a: _SceneAccumulator, lab: np.ndarray) -> None:
    # Near-gray pixels say nothing about the palette; counting them would make every swatch gray.
    colourful = np.hypot(lab[..., 1], lab[..., 2]) > 5.0
    cells = _cells(lab[..., 1:][colourful])
    a.ab_counts += np.bincount(cells, minlength=_GRID * _GRID)
    a.L_sums += np.bincount(cells, weights=lab[..., 0][colourful], minlength=_GRID * _GRID)


def _palette(a: _SceneAccumulator, weights: np.ndarray) -> list[tuple[tuple[int, int, int], float]]:
    """Top cells of ``weights`` (per grid cell) as swatches; each drawn at the output's mean L there."""
    top = [c for c in np.argsort(-weights)[:PALETTE_COLOURS] if weights[c] > 0]
    if not top:
        return []
    total = float(sum(weights[c] for c in top))
    out = []
    for c in top:
        L = a.L_sums[c] / a.ab_counts[c] if a.ab_counts[c] > 0 else 65.0
        ab = np.array([c // _GRID, c % _GRID], np.float32) * AB_STEP - AB_MAX
        rgb = lab_to_rgb8(np.array([[[L, ab[0], ab[1]]]], np.float32))[0, 0]
        out.append(((int(rgb[0]), int(rgb[1]), int(rgb[2])), float(weights[c]) / total))
    return out


def _feature_weights(model, slot: int) -> np.ndarray | None:
    """The memory's colour feature of ``slot`` as weights per grid cell (C_dist only), else None."""
    centres = getattr(getattr(model, "feature", None), "centres", None)
    if centres is None:
        return None
    value = model.memory.values[slot].float().cpu().numpy()
    weights = np.zeros(_GRID * _GRID)
    np.add.at(weights, _cells(centres.numpy()), value[: len(centres)])
    return weights


def _resample(values: np.ndarray, points: int, reduce) -> list[float]:
    if len(values) <= points:
        return [float(v) for v in values]
    return [float(reduce(chunk)) for chunk in np.array_split(values, points)]


def _entry(i: int, a: _SceneAccumulator, scene, analysis, model, fps: float, folder: str) -> SceneEntry:
    report = analysis.reports[i] if analysis is not None else None
    weights = _feature_weights(model, report.slot) if report is not None and report.slot is not None else None
    order = ("input", "memovid", "reference")
    mean = a.rgb_sum / max(len(a.flicker), 1)  # one flicker value per frame of the scene
    confidence = None
    if analysis is not None:
        confidence = _resample(analysis.frame_confidence[scene.start:scene.end], PLOT_POINTS, np.mean)
    metrics = ({"CIEDE2000": a.ciede_sum / a.metric_frames, "PSNR": a.psnr_sum / a.metric_frames}
               if a.metric_frames else {})
    return SceneEntry(
        index=i, start=scene.start, end=scene.end, start_time=scene.start / fps, end_time=scene.end / fps,
        thumbnails={k: a.thumbnails[k] for k in order if k in a.thumbnails},
        palette=_palette(a, weights if weights is not None else a.ab_counts),
        mean_colour=(int(mean[0]), int(mean[1]), int(mean[2])),
        confidence=None if report is None else float(report.confidence),
        needs_keyframe=bool(report is not None and report.needs_keyframe),
        keyframes=0 if report is None else report.keyframes,
        metrics=metrics, flicker=_resample(np.array(a.flicker), PLOT_POINTS, np.max), frame_confidence=confidence)
