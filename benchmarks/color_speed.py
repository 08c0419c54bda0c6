"""Speed of the Lab conversions (every frame of a film goes through them) and of eval per frame.

    .venv/bin/python benchmarks/color_speed.py [--threads 1] [--repeat 5]

Baselines run in the same process: skimage (the accuracy reference of the tests) and OpenCV's own
float Lab conversion (fast, but up to 0.5 off in a, b). Random frames; prints a markdown table.
Numbers taken on a shared CPU are preliminary.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import structural_similarity

from memovid.color.ciede2000 import ciede2000
from memovid.color.lab import rgb8_to_L, lab_to_rgb, lab_to_rgb8, luma_to_L, rgb8_to_lab, rgb_to_lab
from memovid.report.metrics import Evaluator, mean_ciede2000, psnr, ssim


def best_ms(fn, repeat: int) -> float:
    """Best of ``repeat`` runs (the least disturbed by other processes), in milliseconds."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    rng = np.random.default_rng(0)
    rows: list[tuple[str, str, float]] = []

    hd = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    hd_gray = np.ascontiguousarray(hd[..., 1])
    hd_lab = rgb8_to_lab(hd)
    hd_t = torch.from_numpy(hd).permute(2, 0, 1).float() / 255.0  # (3, H, W) in [0, 1]
    hd_lab_t = rgb_to_lab(hd_t)
    hd_float = hd.astype(np.float32) / 255.0
    for name, fn in [
        ("rgb8_to_lab", lambda: rgb8_to_lab(hd)),
        ("lab_to_rgb8", lambda: lab_to_rgb8(hd_lab)),
        ("rgb8_to_L", lambda: rgb8_to_L(hd)),
        ("luma_to_L", lambda: luma_to_L(hd_gray)),
        ("torch rgb_to_lab (float32)", lambda: rgb_to_lab(hd_t)),
        ("torch lab_to_rgb (float32)", lambda: lab_to_rgb(hd_lab_t)),
        ("baseline: skimage rgb2lab", lambda: rgb2lab(hd)),
        ("baseline: cv2 float RGB2Lab (approx.)", lambda: cv2.cvtColor(hd_float, cv2.COLOR_RGB2Lab)),
    ]:
        rows.append(("1920x1080", name, best_ms(fn, args.repeat)))

    ref = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    out = np.clip(ref + rng.normal(0, 10, ref.shape), 0, 255).astype(np.uint8)
    lab_out, lab_ref = rgb8_to_lab(out), rgb8_to_lab(ref)
    t_out, t_ref = torch.from_numpy(lab_out), torch.from_numpy(lab_ref)
    luma_out = out.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    luma_ref = ref.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    evaluator = Evaluator()
    for name, fn in [
        ("psnr", lambda: psnr(out, ref)),
        ("ssim", lambda: ssim(out, ref)),
        ("ciede2000 (torch, on Lab)", lambda: ciede2000(t_out, t_ref)),
        ("mean_ciede2000 incl. Lab of both", lambda: mean_ciede2000(rgb8_to_lab(out), rgb8_to_lab(ref))),
        ("Evaluator.add (all figures)", lambda: evaluator.add(out, ref)),
        ("baseline: skimage SSIM", lambda: structural_similarity(
            luma_out, luma_ref, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)),
        ("baseline: skimage deltaE_ciede2000", lambda: deltaE_ciede2000(lab_out, lab_ref)),
    ]:
        rows.append(("640x480", name, best_ms(fn, args.repeat)))

    print(f"threads={args.threads}, best of {args.repeat}\n")
    print("| frame | step | ms | frames/s |")
    print("|---|---|---:|---:|")
    for size, name, ms in rows:
        print(f"| {size} | {name} | {ms:.1f} | {1000 / ms:.0f} |")


if __name__ == "__main__":
    main()
