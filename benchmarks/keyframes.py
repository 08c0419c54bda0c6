"""Keyframe guidance and temporal smoothing on real footage.

    .venv/bin/python benchmarks/keyframes.py [--every 13] [--threads 2]

Part 1, keyframes that move with the picture (issue 5): on one real shot, every 13th frame is given
in colour; the other frames get their ab from
  (a) copy    the nearest keyframe's ab, pixel for pixel
  (b) warp1   the nearest keyframe warped along DIS flow (luminance, keyframe -> target)
  (c) guide   memovid.motion.guide.KeyframeGuide: the two nearest warped, blended by distance and reliability
  (d) chain   as (c), but each keyframe is carried by flows composed frame to frame (one resampling)
  (e) both    (c) and (d) blended by per-pixel reliability: KeyframeGuide.guide_shot
and CIEDE2000 against the true colour (true L, predicted ab) is averaged over the non-keyframes.

Part 2, temporal smoothing (issue 6): a per-frame prediction with flicker (the true ab plus a random
global shift and smooth spatial noise per frame) run through each smoother; flicker figure = mean
|ab_t - ab_t-1| of the output over the same for the reference, and CIEDE2000.

Frames/s are of the guidance or smoothing step alone (decoding excluded), on a shared CPU: preliminary.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from memovid.color.ciede2000 import ciede2000
from memovid.color.lab import rgb8_to_lab
from memovid.color.levels import L_to_L8
from memovid.motion.flow import flow_with_reliability, warp
from memovid.motion.guide import GuideConfig, KeyframeGuide, blend
from memovid.temporal import TemporalConfig, make_smoother
from memovid.video.decode import read_frames

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass(frozen=True)
class Clip:
    name: str
    file: str
    first: int
    stop: int  # exclusive: one shot


CLIPS = (
    Clip("tupi_example (cartoon)", "tupi_example/example.avi", 0, 180),
    Clip("kivy_cityCC0 shot 1 (live action, camera moves)", "kivy_cityCC0/cityCC0.mpg", 0, 116),
)


def load(clip: Clip) -> tuple[np.ndarray, np.ndarray]:
    """(N, H, W) float32 L in [0, 100] and (N, H, W, 2) float32 ab of the clip's frames."""
    info = json.loads((DATA / clip.file).parent.joinpath("info.json").read_text())
    Ls, abs_ = [], []
    for frame in read_frames(DATA / clip.file, mode="rgb"):
        if frame.index >= clip.stop:
            break
        if frame.index >= clip.first:
            lab = rgb8_to_lab(frame.image)
            Ls.append(lab[..., 0])
            abs_.append(lab[..., 1:])
    assert len(Ls) == clip.stop - clip.first <= info["frames"], (len(Ls), info["frames"])
    return np.stack(Ls), np.stack(abs_)


def de2000(L: np.ndarray, ab_true: np.ndarray, ab_pred: np.ndarray, where: np.ndarray | None = None) -> float:
    """Mean CIEDE2000 between (L, ab_true) and (L, ab_pred), one frame (optionally only ``where``)."""
    lab1 = torch.from_numpy(np.concatenate([L[..., None], ab_true], axis=2))
    lab2 = torch.from_numpy(np.concatenate([L[..., None], ab_pred], axis=2))
    de = ciede2000(lab1, lab2).numpy()
    return float(de.mean() if where is None else de[where].mean())


# ---------------------------------------------------------------- part 1: keyframe guidance


def copy_nearest(keys, L8, ab, t):
    k = min(keys, key=lambda k: (abs(k - t), k))
    return ab[k]


def warp_nearest(keys, L8, ab, t, config):
    k = min(keys, key=lambda k: (abs(k - t), k))
    f, _ = flow_with_reliability(L8[t], L8[k], config)
    return warp(ab[k], f)


def chained(keys, L8, ab, config: GuideConfig):
    """ab for every frame: keyframes carried by composed frame-to-frame flows, blended as the guide.

    Yields (t, ab) in frame order. Composition: F_t = f_t + warp(F_t-1, f_t) maps frame t onto the
    keyframe, so the keyframe's ab is resampled once, not once per frame.
    """
    n = len(L8)
    carried = {}  # t -> list of (ab, conf, distance, decay)
    for direction in (+1, -1):
        starts = keys if direction > 0 else keys[::-1]
        for i, k in enumerate(starts):
            stop = starts[i + 1] if i + 1 < len(starts) else (n if direction > 0 else -1)
            field = np.zeros((*L8.shape[1:], 2), np.float32)
            conf = np.ones(L8.shape[1:], np.float32)
            for t in range(k + direction, stop, direction):
                f, c = flow_with_reliability(L8[t], L8[t - direction], config.flow)
                field = f + warp(field, f)
                conf = c * warp(conf, f)
                d = abs(t - k)
                decay = float(np.exp(-d / config.decay_frames))
                carried.setdefault(t, []).append((warp(ab[k], field), conf, float(d), decay))
    for t in range(n):
        if t not in keys:
            yield t, blend(carried.pop(t))[0]


def guidance_table(clip: Clip, every: int) -> list[tuple[str, float, float, float]]:
    L, ab = load(clip)
    L8 = np.stack([L_to_L8(x) for x in L])
    n = len(L)
    keys = list(range(0, n, every))
    targets = [t for t in range(n) if t not in keys]
    config = GuideConfig()
    rows = []
    # "Moving" pixels: luminance differs from the nearest keyframe's (where copying cannot be right).
    nearest = {t: min(keys, key=lambda k: (abs(k - t), k)) for t in targets}
    kernel = np.ones((7, 7), np.uint8)
    moving = {t: cv2.dilate((np.abs(L[t] - L[nearest[t]]) > 5).astype(np.uint8), kernel).astype(bool) for t in targets}
    moving_share = np.mean([moving[t].mean() for t in targets])

    def score(name: str, predict) -> None:
        start = time.perf_counter()
        preds = dict(predict())
        seconds = time.perf_counter() - start
        de = [de2000(L[t], ab[t], preds[t], None) for t in targets]
        de_moving = [de2000(L[t], ab[t], preds[t], moving[t]) for t in targets if moving[t].any()]
        rows.append((name, float(np.mean(de)), float(np.mean(de_moving)), len(targets) / seconds))

    score("(a) copy nearest keyframe", lambda: ((t, copy_nearest(keys, L8, ab, t)) for t in targets))
    score("(b) nearest keyframe, warped", lambda: ((t, warp_nearest(keys, L8, ab, t, config.flow)) for t in targets))

    def guided():
        guide = KeyframeGuide(config)
        for k in keys:
            guide.add_keyframe(k, L8[k], ab[k])
        for t in targets:
            yield t, guide.guide_for(t, L8[t])[0]

    score("(c) two nearest, warped + blended (KeyframeGuide)", guided)
    score("(d) two nearest, chained flow + blended", lambda: chained(keys, L8, ab, config))
    def streamed():
        guide = KeyframeGuide(config)
        for k in keys:
            guide.add_keyframe(k, L8[k], ab[k])
        for t, (prior, *_) in guide.guide_shot((t, L8[t]) for t in range(n)):
            if t not in keys:
                yield t, prior

    score("(e) (c) and (d) together, by reliability (KeyframeGuide.guide_shot)", streamed)
    return rows, float(moving_share)


# ---------------------------------------------------------------- part 2: temporal smoothing


def flicker_table(clip: Clip, seed: int = 0) -> list[tuple[str, float, float, float]]:
    L, ab = load(clip)
    rng = np.random.default_rng(seed)
    n, h, w = L.shape
    noisy = []
    for t in range(n):
        # A per-frame colorizer's flicker: a global colour shift plus a smooth spatial wobble.
        wobble = cv2.resize(rng.normal(0, 2.0, (4, 6, 2)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        noisy.append(ab[t] + rng.normal(0, 3.0, (1, 1, 2)).astype(np.float32) + wobble)
    ref_flicker = np.mean([np.abs(ab[t] - ab[t - 1]).mean() for t in range(1, n)])
    rows = []
    for name, config in (
        ("off", TemporalConfig(mode="off")),
        ("ema", TemporalConfig(mode="ema")),
        ("flow", TemporalConfig(mode="flow")),
        ("flow, strength 0.9", TemporalConfig(mode="flow", strength=0.9)),
    ):
        smoother = make_smoother(config)
        start = time.perf_counter()
        outs = [smoother.process(L[t], noisy[t], shot_start=t == 0) for t in range(n)]
        fps = n / (time.perf_counter() - start)
        fl = np.mean([np.abs(outs[t] - outs[t - 1]).mean() for t in range(1, n)]) / ref_flicker
        de = np.mean([de2000(L[t], ab[t], outs[t]) for t in range(n)])
        rows.append((name, float(fl), float(de), fps))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=13, help="keyframe spacing in frames")
    parser.add_argument("--threads", type=int, default=2, help="torch and OpenCV threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)

    print(f"## Keyframe guidance (keyframe every {args.every} frames; CIEDE2000 on the other frames)\n")
    print("dE00: all pixels of the non-keyframes; moving: only pixels whose luminance differs from the")
    print("nearest keyframe's (by > 5 L, dilated 7 px; share of pixels in brackets).\n")
    print("| clip | method | dE00 | dE00 moving | frames/s |")
    print("|---|---|---:|---:|---:|")
    for clip in CLIPS:
        rows, share = guidance_table(clip, args.every)
        for name, de, de_moving, fps in rows:
            print(f"| {clip.name} ({share:.0%} moving) | {name} | {de:.2f} | {de_moving:.2f} | {fps:.1f} |")

    print("\n## Temporal smoothing of a flickering per-frame prediction (flicker figure: 1.0 = reference)\n")
    print("| clip | smoother | flicker figure | dE00 | frames/s |")
    print("|---|---|---:|---:|---:|")
    for clip in CLIPS:
        for name, fl, de, fps in flicker_table(clip):
            print(f"| {clip.name} | {name} | {fl:.2f} | {de:.2f} | {fps:.1f} |")


if __name__ == "__main__":
    main()
