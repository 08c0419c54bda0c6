"""Memory stays flat in a film's length: peak RSS of colorize (and of a plain transcode, the baseline)
on the same cartoon at 1x and 4x the length, each in a fresh process.

    python benchmarks/memory.py [--frames 240] [--size 640x360]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from memovid.training.config import TrainConfig
from memovid.demo.synth import CartoonSpec, cartoon_frames
from memovid.training.train import train
from memovid.video import write_video
from memovid.video.frame import Frame

MEMOVID = [sys.executable, "-m", "memovid", "--quiet"]


def peak_rss_mb(args: list[str]) -> float:
    """Run a command; its peak resident memory in MiB. GNU time reports it from a small process of its
    own: a child forked straight from this one would start out counting this process's memory."""
    proc = subprocess.run(["/usr/bin/time", "-f", "%M"] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr[-500:]}")
    return int(proc.stderr.strip().splitlines()[-1]) / 1024


def film(path: Path, frames: int, width: int, height: int) -> Path:
    """A black-and-white cartoon of ``frames`` frames (scenes repeat to reach the length)."""
    spec = CartoonSpec(width=width, height=height, scenes=max(1, frames // 90), shot_frames=(30, 24, 30), fade_frames=6)
    source = cartoon_frames(spec)
    gray = (np.repeat(f.mean(axis=2, keepdims=True).astype(np.uint8), 3, 2) for _, f in zip(range(frames), source))
    write_video((Frame(g, i) for i, g in enumerate(gray)), path, fps=24, overwrite=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--size", default="640x360")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        colour = work / "colour.mp4"
        spec = CartoonSpec(width=width, height=height, scenes=1)
        write_video((Frame(f, i) for i, f in enumerate(cartoon_frames(spec))), colour, fps=24, overwrite=True)
        model = work / "m.memo"
        train([colour], model, config=TrainConfig(steps=5, size=128), overwrite=True)
        rows = []
        for n in (args.frames, 4 * args.frames):
            clip = film(work / f"bw{n}.mp4", n, width, height)
            plain = peak_rss_mb(MEMOVID + ["transcode", str(clip), "-o", str(work / f"t{n}.mp4")])
            painted = peak_rss_mb(MEMOVID + ["colorize", str(clip), "-m", str(model), "-o", str(work / f"c{n}.mp4")])
            rows.append((n, plain, painted))
    print(f"{width}x{height} cartoon, working size 128, peak RSS of a fresh process (MiB)\n")
    print("| frames | transcode | colorize |\n|---:|---:|---:|")
    for n, plain, painted in rows:
        print(f"| {n} | {plain:.0f} | {painted:.0f} |")
    (n1, t1, c1), (n4, t4, c4) = rows
    print(f"\n4x the frames: transcode {t4 - t1:+.0f} MiB, colorize {c4 - c1:+.0f} MiB")


if __name__ == "__main__":
    main()
