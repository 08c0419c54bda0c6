"""Training samples: the colour frames a model learns from, chosen from colour video or keyframe folders.

Video is split into scenes and up to ``frames_per_scene`` frames are chosen per scene, spread over its
shots and unlike each other (the paper's few-shot regime: a handful of varied frames per scene beats
many near-duplicates). Selection runs in two decodes of the colour footage so that memory stays flat:
the first splits scenes and keeps a few tiny candidate thumbnails per shot, the second picks the
chosen frames at working size.

A keyframe folder holds frames a colourist painted; a number in the file name (``frame_00120.png``) is
the frame number in the film, which lets colorize warp the keyframe along the motion of its shot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np

from memovid.errors import InputError
from memovid.model.inputs import resize_to, working_shape
from memovid.progress import ProgressFn, no_progress
from memovid.scenes.representative import ShotSampler

THUMB = (16, 12)           # candidate signature: a tiny gray thumbnail, width x height
CANDIDATES_PER_SHOT = 16   # kept per shot while decoding; stride doubles when full (bounded memory)


@dataclass
class Sample:
    """One colour frame to learn from.

    rgb: (h, w, 3) uint8 at working size. scene: scene id, unique within the model. shot: key of the
    shot it belongs to (same key = same shot: motion guidance may use it), or None. frame: its frame
    number in the source film, or None. source: the input it came from (provenance).
    """

    rgb: np.ndarray
    scene: int
    shot: str | None
    frame: int | None
    source: str


def keyframe_samples(folder: Path, size: int, scene: int, scene_of_frame=None) -> list[Sample]:
    """Every image of a keyframe folder as a sample.

    scene_of_frame: optional callable frame number -> (scene id, shot key) from a scene table of the
    film the keyframes were painted for; without it the folder is one scene and shots are unknown.
    """
    from memovid.video.imageseq import frame_number_of, list_images, read_image

    samples = []
    for path in list_images(folder):
        rgb = read_image(path, "rgb")
        number = frame_number_of(path)
        scene_id, shot = (scene, None)
        if scene_of_frame is not None and number is not None:
            scene_id, shot = scene_of_frame(number)
        samples.append(Sample(resize_to(rgb, working_shape(*rgb.shape[:2], size)), scene_id, shot,
                              number, str(path)))
    return samples


def _thumbnail(gray: np.ndarray) -> np.ndarray:
    """A candidate's signature: (THUMB area,) float32 gray levels."""
    return cv2.resize(gray, THUMB, interpolation=cv2.INTER_AREA).astype(np.float32).ravel()


def _spread(candidates: list[list[tuple[int, np.ndarray]]], n: int) -> list[int]:
    """Pick n frames over a scene's shots: shots in turn, each time the candidate farthest from all picked."""
    pool = [list(c) for c in candidates if c]
    picked: list[tuple[int, np.ndarray]] = []
    turn = 0
    while len(picked) < n and any(pool):
        shot = pool[turn % len(pool)]
        turn += 1
        if not shot:
            continue
        if picked:
            chosen = max(range(len(shot)), key=lambda i: min(np.abs(shot[i][1] - p[1]).mean() for p in picked))
        else:
            chosen = len(shot) // 2  # the middle of the first shot: away from the transitions
        picked.append(shot.pop(chosen))
    return sorted(index for index, _ in picked)


def video_samples(path: Path, size: int, frames_per_scene: int, first_scene: int, *, scene_config=None,
                  scene_table=None, progress: ProgressFn = no_progress) -> tuple[list[Sample], object]:
    """Choose and read training frames of a colour video. Returns (samples, its SceneTable)."""
    from memovid.scenes import SceneConfig, SceneSplitter
    from memovid.video import read_frames

    splitter = SceneSplitter(scene_config or SceneConfig()) if scene_table is None else None
    starts = {shot.start for shot in scene_table.shots} if scene_table is not None else set()
    kept: list[tuple[int, np.ndarray]] = []
    shot = ShotSampler(CANDIDATES_PER_SHOT, np.float32)
    frames = 0
    # Pass 1: shots (unless given), and a few candidate thumbnails per shot as the shots close.
    for frame in read_frames(path, mode="gray", max_size=size):
        frames += 1
        closed = splitter.feed(frame) if splitter is not None else (frame.index in starts and frame.index > 0)
        if closed:
            kept += shot.samples
            shot = ShotSampler(CANDIDATES_PER_SHOT, np.float32)
        shot.add(frame.index, lambda: _thumbnail(frame.image))
        progress("choosing frames", frames, None)
    if frames == 0:
        raise InputError(f"{path}: no frames could be decoded")
    kept += shot.samples
    table = splitter.finish() if splitter is not None else scene_table
    per_shot: dict[int, list[tuple[int, np.ndarray]]] = {}
    for index, thumb in kept:
        per_shot.setdefault(table.shot_of(index), []).append((index, thumb))
    chosen: dict[int, tuple[int, str]] = {}
    for s, scene in enumerate(table.scenes):
        for index in _spread([per_shot.get(i, []) for i in scene.shots], frames_per_scene):
            chosen[index] = (first_scene + s, f"{path.name}#{table.shot_of(index)}")
    # Pass 2: the chosen frames at working size, in colour.
    samples = []
    for frame in read_frames(path, mode="rgb", max_size=size):
        if frame.index in chosen:
            scene_id, shot_key = chosen[frame.index]
            rgb = resize_to(frame.image, working_shape(*frame.image.shape[:2], size))
            samples.append(Sample(rgb, scene_id, shot_key, frame.index, str(path)))
            if len(samples) == len(chosen):
                break
    return samples, table


def collect_samples(inputs: Iterable[Path], size: int, frames_per_scene: int, *, first_scene: int = 0,
                    scene_config=None, scene_table=None, progress: ProgressFn = no_progress
                    ) -> Iterator[tuple[Path, list[Sample], object]]:
    """For each input (colour video or keyframe folder): (path, its samples, its SceneTable or None)."""
    from memovid.video.imageseq import is_image_sequence

    scene = first_scene
    for path in inputs:
        path = Path(path)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if is_image_sequence(path):
            scene_of_frame = _scene_lookup(scene_table, scene) if scene_table is not None else None
            samples, table = keyframe_samples(path, size, scene, scene_of_frame), None
        else:
            samples, table = video_samples(path, size, frames_per_scene, scene, scene_config=scene_config,
                                           scene_table=scene_table, progress=progress)
        if samples:
            scene = max(s.scene for s in samples) + 1
        yield path, samples, table


def _scene_lookup(table, first_scene: int):
    """frame number -> (scene id, shot key) in a film's scene table (keyframes painted for that film)."""

    def lookup(number: int) -> tuple[int, str | None]:
        if not 0 <= number < table.frames:
            raise InputError(f"keyframe for frame {number} lies outside the film's {table.frames} frames")
        return first_scene + table.scene_of(number), f"film#{table.shot_of(number)}"

    return lookup
