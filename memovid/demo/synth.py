"""A small procedural cartoon with a known scene structure, made in memory.

``memovid demo`` colorizes it (no download is possible on many machines) and the tests use it where
they need a film with scenes. Flat-coloured characters with dark outlines move over textured
backgrounds, like cel animation. The structure is known exactly: each scene is a conversation of two
camera setups cut A-B-A, and scenes are separated by a fade through black.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import cv2
import numpy as np


@dataclass(frozen=True)
class CartoonSpec:
    """What to draw. Sizes in pixels, lengths in frames."""

    width: int = 320
    height: int = 240
    fps: int = 24
    scenes: int = 3
    shot_frames: tuple[int, ...] = (30, 24, 30)   # A, B, A of each scene's conversation
    fade_frames: int = 8                          # to black and back, between scenes
    seed: int = 7


@dataclass
class _Character:
    colour: tuple[int, int, int]
    eye: tuple[int, int, int]
    radius: float
    x: float
    y: float
    vx: float
    vy: float


@dataclass
class _Setup:
    """One camera setup: a background and the characters in it."""

    background: np.ndarray                       # (H, W, 3) uint8 RGB
    characters: list[_Character] = field(default_factory=list)
    pan: float = 0.0                              # background drift, pixels per frame


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A two-colour gradient sky/ground with stripes and blobs: texture for flow and shot signatures."""
    top, bottom = rng.integers(40, 230, size=(2, 3))
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    image = (top * (1 - t) + bottom * t).repeat(w, axis=1)
    horizon = int(h * rng.uniform(0.55, 0.75))
    image[horizon:] = rng.integers(30, 200, size=3)
    image = image.astype(np.uint8).copy()
    for _ in range(12):
        colour = tuple(int(c) for c in rng.integers(20, 235, size=3))
        centre = (int(rng.integers(0, w * 2)), int(rng.integers(0, h)))
        axes = (int(rng.integers(8, 40)), int(rng.integers(6, 30)))
        cv2.ellipse(image, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1, cv2.LINE_AA)
    for x in range(0, w * 2, int(rng.integers(18, 40))):
        cv2.line(image, (x, horizon), (x - 30, h), (0, 0, 0), 1, cv2.LINE_AA)
    return image


def _setup(rng: np.random.Generator, spec: CartoonSpec) -> _Setup:
    # A background twice as wide as the frame lets the camera pan without running out of picture.
    background = np.concatenate([_background(rng, spec.width, spec.height)] * 2, axis=1)
    characters = [
        _Character(
            colour=tuple(int(c) for c in rng.integers(30, 240, size=3)),
            eye=tuple(int(c) for c in rng.integers(0, 255, size=3)),
            radius=float(rng.uniform(0.09, 0.16) * spec.height),
            x=float(rng.uniform(0.2, 0.8) * spec.width),
            y=float(rng.uniform(0.35, 0.7) * spec.height),
            vx=float(rng.uniform(-1.5, 1.5)),
            vy=float(rng.uniform(-0.6, 0.6)),
        )
        for _ in range(int(rng.integers(2, 4)))
    ]
    return _Setup(background, characters, pan=float(rng.uniform(0.3, 1.2)))


def _draw(setup: _Setup, t: int, spec: CartoonSpec) -> np.ndarray:
    offset = int(setup.pan * t) % spec.width
    frame = setup.background[:, offset:offset + spec.width].copy()
    for c in setup.characters:
        x = int(c.x + c.vx * t) % spec.width
        y = int(np.clip(c.y + c.vy * t + 4 * np.sin(t / 4), c.radius, spec.height - c.radius))
        r = int(c.radius)
        cv2.ellipse(frame, (x, y + r), (r, int(r * 1.3)), 0, 0, 360, c.colour, -1, cv2.LINE_AA)
        cv2.circle(frame, (x, y), r, c.colour, -1, cv2.LINE_AA)
        cv2.circle(frame, (x, y), r, (0, 0, 0), 2, cv2.LINE_AA)
        for dx in (-r // 3, r // 3):
            cv2.circle(frame, (x + dx, y - r // 5), max(2, r // 5), c.eye, -1, cv2.LINE_AA)
            cv2.circle(frame, (x + dx, y - r // 5), max(1, r // 10), (0, 0, 0), -1, cv2.LINE_AA)
    return frame


@dataclass(frozen=True)
class CartoonTruth:
    """The known structure: shot and scene spans (0-based, exclusive end) and fade spans."""

    frames: int
    shots: tuple[tuple[int, int], ...]
    scenes: tuple[tuple[int, int], ...]
    fades: tuple[tuple[int, int], ...]


def cartoon_truth(spec: CartoonSpec = CartoonSpec()) -> CartoonTruth:
    """Where the cuts and fades of :func:`cartoon_frames` are, without drawing anything.

    A fade's frames belong to the shots on either side (fade-out frames end the previous shot,
    fade-in frames start the next), so that the shots tile the film.
    """
    shots, scenes, fades, cursor = [], [], [], 0
    last = len(spec.shot_frames) - 1
    for s in range(spec.scenes):
        scene_start = cursor
        for i, length in enumerate(spec.shot_frames):
            lead = spec.fade_frames if (i == 0 and s > 0) else 0
            tail = spec.fade_frames if (i == last and s < spec.scenes - 1) else 0
            shots.append((cursor, cursor + lead + length + tail))
            if tail:
                fades.append((cursor + lead + length, cursor + lead + length + 2 * spec.fade_frames))
            cursor += lead + length + tail
        scenes.append((scene_start, cursor))
    return CartoonTruth(cursor, tuple(shots), tuple(scenes), tuple(fades))


def cartoon_frames(spec: CartoonSpec = CartoonSpec()) -> Iterator[np.ndarray]:
    """Yield the cartoon's frames, (H, W, 3) uint8 RGB, one at a time (nothing is held in memory)."""
    rng = np.random.default_rng(spec.seed)
    for s in range(spec.scenes):
        setups = (_setup(rng, spec), _setup(rng, spec))
        clock = [0, 0]  # each setup keeps its own time, so cutting back continues the action
        for i, length in enumerate(spec.shot_frames):
            which = i % 2
            if i == 0 and s > 0:
                for k in range(spec.fade_frames):        # fade in from black
                    gain = (k + 1) / (spec.fade_frames + 1)
                    yield (_draw(setups[which], clock[which], spec) * gain).astype(np.uint8)
                    clock[which] += 1
            for _ in range(length):
                yield _draw(setups[which], clock[which], spec)
                clock[which] += 1
            if i == len(spec.shot_frames) - 1 and s < spec.scenes - 1:
                for k in range(spec.fade_frames):        # fade out to black
                    gain = 1 - (k + 1) / (spec.fade_frames + 1)
                    yield (_draw(setups[which], clock[which], spec) * gain).astype(np.uint8)
                    clock[which] += 1
