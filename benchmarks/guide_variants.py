"""Cheaper flow for keyframe guidance: what each saving costs the moved keyframe colour.

The flow is the largest stage of colorize on a keyframed film (benchmarks/stage_profile.py): each frame
between two keyframes has the pair to its neighbour estimated (the chains) and a direct flow to each
of its two nearest keyframes, both ways (the way back for the forward-backward check): about six DIS
runs a frame. This measures, on real shots with a keyframe every ``--every`` frames, the guide's
moved colour alone (``KeyframeGuide.guide_shot``'s ab at colorize's working size, long side 256;
CIEDE2000 on the frames between keyframes, against their true colour) and the guide's time, for:

  today             two chains, two direct flows both ways, each keyframe also in place
  back fast         the direct flows' way back (the check only) with DIS's "fast" preset
  back ultrafast    ... with "ultrafast"
  one way           no way back: the direct flows' reliability from the photometric term alone
  fast both ways    the direct flows with "fast" both ways
  skip if chains    no direct flows (nor in place) where both chains are over 0.8 reliable on average
  chains alone      no direct flows at all

Clips: tupi_example (a cartoon) and kivy_cityCC0's first shot (live action) from ../shared/data, and
with ``--megamind PATH`` (Debian opencv-doc's Megamind.avi, which benchmarks/new_clips.py fetches
into bench_out/) its first 132 frames, a 3D cartoon.

    .venv/bin/python benchmarks/guide_variants.py [--every 13] [--megamind PATH]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from memovid.color.ciede2000 import ciede2000
from memovid.color.lab import rgb8_to_lab
from memovid.color.levels import L_to_L8
from memovid.model.inputs import working_shape
from memovid.motion import flow as flows
from memovid.motion.flow import FlowConfig, flow_with_reliability, shared_flows
from memovid.motion.guide import KeyframeGuide
from memovid.video.decode import read_frames

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLIPS = {"tupi": (DATA / "tupi_example" / "example.avi", 180), "kivy": (DATA / "kivy_cityCC0" / "cityCC0.mpg", 116)}
SIZE = 256  # colorize's working size (the model's training size)
SKIP_RELIABILITY = 0.8


def load(path: Path, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, h, w) L and (N, h, w, 2) ab of the first ``frames`` frames at the working size."""
    L, ab = [], []
    for frame in read_frames(path, mode="rgb"):
        if frame.index >= frames:
            break
        h, w = working_shape(*frame.image.shape[:2], SIZE)
        lab = rgb8_to_lab(cv2.resize(frame.image, (w, h), interpolation=cv2.INTER_AREA))
        L.append(lab[..., 0])
        ab.append(np.ascontiguousarray(lab[..., 1:]))
    return np.stack(L), np.stack(ab)


class BackWith(KeyframeGuide):
    """The direct flows' way back estimated with another DIS preset (the check, not the field)."""

    def __init__(self, preset: str) -> None:
        super().__init__()
        self.back = FlowConfig(preset=preset, refinement=None if preset == "ultrafast" else 2)

    def _direct(self, L8, key_L8):
        config = self.config.flow
        cache = flows._shared.get()
        pair = cache.get(L8, key_L8, config) if cache is not None else None
        if pair is None:
            pair = flows._dis(L8, key_L8, config), flows._dis(key_L8, L8, self.back)
        return pair[0], np.clip(flows._reliability(L8, key_L8, *pair, config), 0.0, 1.0)


class OneWay(KeyframeGuide):
    """No way back: the direct flows' reliability is the photometric term alone."""

    def _direct(self, L8, key_L8):
        config = self.config.flow
        field = flows._dis(L8, key_L8, config)
        photo = (L8.astype(np.float32) - flows.warp(key_L8.astype(np.float32), field)) / np.float32(config.photo_sigma)
        return field, (np.exp(-0.5 * photo * photo) * flows._inside(field)).astype(np.float32)


class FastBothWays(KeyframeGuide):
    """The direct flows with DIS's "fast" preset both ways."""

    def _direct(self, L8, key_L8):
        return flow_with_reliability(L8, key_L8, FlowConfig(preset="fast", refinement=2))


class ChainsFirst(KeyframeGuide):
    """No direct flows where both chains are over ``threshold`` reliable on average (0: never any)."""

    def __init__(self, threshold: float) -> None:
        super().__init__()
        self.threshold = threshold

    def _finish(self, waiting, next_key):
        for (index, L8, carried), back in zip(waiting, self._backward(waiting, next_key)):
            candidates = [c.used() for c in (carried, back) if c is not None]
            held = len(candidates) == 2 and min(float(c.reliability.mean()) for c in candidates) > self.threshold
            if not candidates or (self.threshold > 0 and not held):
                candidates += self._direct_and_still(index, L8)
            yield index, self._combine(candidates)


VARIANTS = {
    "today": KeyframeGuide,
    "back fast": lambda: BackWith("fast"),
    "back ultrafast": lambda: BackWith("ultrafast"),
    "one way": OneWay,
    "fast both ways": FastBothWays,
    f"skip if chains > {SKIP_RELIABILITY}": lambda: ChainsFirst(SKIP_RELIABILITY),
    "chains alone": lambda: ChainsFirst(0.0),
}


def score(L: np.ndarray, ab: np.ndarray, every: int, make) -> tuple[float, float]:
    """(mean CIEDE2000 of the guide's ab on the frames between keyframes, guide ms a frame)."""
    L8 = [L_to_L8(x) for x in L]
    keys = set(range(0, len(L), every))
    guide = make()
    for k in sorted(keys):
        guide.add_keyframe(k, L8[k], ab[k])
    errors, spent = [], 0.0
    with shared_flows():
        before = time.perf_counter()
        for index, g in guide.guide_shot((i, L8[i]) for i in range(len(L))):
            spent += time.perf_counter() - before  # the guide's time only, not the scoring's
            if index not in keys:
                truth = torch.from_numpy(np.concatenate([L[index][..., None], ab[index]], 2))
                moved = torch.from_numpy(np.concatenate([L[index][..., None], g.ab], 2))
                errors.append(float(ciede2000(truth, moved).mean()))
            before = time.perf_counter()
    return float(np.mean(errors)), 1000 * spent / len(L)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=13, help="keyframe spacing in frames")
    parser.add_argument("--megamind", type=Path, help="Megamind.avi (Debian opencv-doc): its first 132 frames too")
    args = parser.parse_args()
    clips = dict(CLIPS)
    if args.megamind:
        clips["megamind"] = (args.megamind, 132)
    results = {}
    for name, (path, frames) in clips.items():
        L, ab = load(path, frames)
        results[name] = {variant: score(L, ab, args.every, make) for variant, make in VARIANTS.items()}
    names = list(clips)
    print(f"Moved keyframe colour, a keyframe every {args.every} frames, working size {SIZE} "
          "(CIEDE2000 on the other frames; guide ms a frame)\n")
    print("| variant | " + " | ".join(names) + " | " + " | ".join(f"ms/frame {n}" for n in names) + " |")
    print("|---|" + "---:|" * (2 * len(names)))
    for variant in VARIANTS:
        print(f"| {variant} | " + " | ".join(f"{results[n][variant][0]:.4f}" for n in names) + " | "
              + " | ".join(f"{results[n][variant][1]:.1f}" for n in names) + " |")


if __name__ == "__main__":
    main()
