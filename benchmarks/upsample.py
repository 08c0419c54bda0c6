"""Which way should colour reach full size? Upsampling a real frame's OWN chroma from the working size.

memovid paints ab at a working size (256 on the long side) and puts it on the full-size original
luminance. Here the ab is the truth (the colour frame's own, shrunk with INTER_AREA), so the only error
is the upsampler's: CIEDE2000 against the full-size original, mean over two frames of every clip in
../shared/data. Compared in the same run: bilinear, memovid's fast guided filter (He & Sun) at a few
settings, and joint bilateral upsampling (Kopf et al. 2007, written here in numpy).

    python benchmarks/upsample.py [--size 256]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from memovid.color.lab import lab_to_rgb8, rgb8_to_lab
from memovid.report.metrics import mean_ciede2000
from memovid.paint.upsample import UpsampleConfig, bilinear_upsample, guided_upsample
from memovid.video import read_frames

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLIPS = ("tupi_example/example.avi", "wannaworktogether/wannaworktogether.mp4", "renpy_oa4_launch/oa4_launch.webm",
         "kivy_cityCC0/cityCC0.mpg", "freecol_opening/freecol-opening.video.ogg")
FRAMES = (10, 150)


def joint_bilateral(ab: np.ndarray, L_small: np.ndarray, L_full: np.ndarray, sigma_s: float = 0.75,
                    sigma_r: float = 8.0) -> np.ndarray:
    """JBU over the 2x2 low-res neighbours: spatial Gaussian x range Gaussian on |L_full - L_small|."""
    h, w = L_small.shape
    H, W = L_full.shape
    py, px = (np.arange(H) + 0.5) * h / H - 0.5, (np.arange(W) + 0.5) * w / W - 0.5
    y0, x0 = np.floor(py).astype(int), np.floor(px).astype(int)
    num, den = np.zeros((H, W, 2), np.float32), np.zeros((H, W), np.float32)
    for dy in (0, 1):
        qy = np.clip(y0 + dy, 0, h - 1)
        wy = np.exp(-((py - (y0 + dy)) ** 2) / (2 * sigma_s**2)).astype(np.float32)
        for dx in (0, 1):
            qx = np.clip(x0 + dx, 0, w - 1)
            wx = np.exp(-((px - (x0 + dx)) ** 2) / (2 * sigma_s**2)).astype(np.float32)
            Lq = L_small[qy][:, qx]
            weight = wy[:, None] * wx[None, :] * np.exp(-((L_full - Lq) ** 2) / (2 * sigma_r**2))
            num += weight[..., None] * ab[qy][:, qx]
            den += weight
    return num / np.maximum(den, 1e-8)[..., None]


METHODS = {
    "bilinear (--upsample bilinear)": bilinear_upsample,
    "guided filter r2 eps1e-4 (memovid default)": guided_upsample,
    "guided filter r1 eps1e-4": lambda ab, s, f: guided_upsample(ab, s, f, UpsampleConfig(radius=1, eps=1e-4)),
    "guided filter r1 eps1e-3": lambda ab, s, f: guided_upsample(ab, s, f, UpsampleConfig(radius=1, eps=1e-3)),
    "joint bilateral 2x2": joint_bilateral,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    frames = [(clip.split("/")[0], f.image) for clip in CLIPS for f in read_frames(DATA / clip) if f.index in FRAMES]
    results = {name: {} for name in METHODS}
    timing = {name: 0.0 for name in METHODS}
    for clip, rgb in frames:
        lab = rgb8_to_lab(rgb)
        H, W = lab.shape[:2]
        scale = args.size / max(H, W)
        small = (round(W * scale), round(H * scale))
        ab_small = cv2.resize(lab[..., 1:], small, interpolation=cv2.INTER_AREA)
        L_small = cv2.resize(lab[..., 0], small, interpolation=cv2.INTER_AREA)
        for name, method in METHODS.items():
            t0 = time.perf_counter()
            ab = method(ab_small, L_small, lab[..., 0])
            timing[name] += time.perf_counter() - t0
            out = rgb8_to_lab(lab_to_rgb8(np.concatenate([lab[..., :1], ab], axis=2)))
            results[name].setdefault(clip, []).append(mean_ciede2000(out, lab))
    clips = list(dict.fromkeys(c for c, _ in frames))
    print(f"CIEDE2000 of the true chroma upsampled from {args.size} px (long side), frames {FRAMES} of each clip\n")
    print("| method | " + " | ".join(clips) + " | mean | ms/frame |")
    print("|---|" + "---:|" * (len(clips) + 2))
    for name in METHODS:
        per = [float(np.mean(results[name][c])) for c in clips]
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in per)
              + f" | {np.mean(per):.3f} | {1000 * timing[name] / len(frames):.0f} |")


if __name__ == "__main__":
    main()
