"""Where colorize spends its time at 720p: the share of every stage, against a plain transcode.

A real cartoon (wannaworktogether, ../shared/data) is cut to FRAMES frames, enlarged to 1280x720 and
made gray; a small model is trained on keyframes of its colour version (every 13 frames of each
shot, as benchmarks/quality.py does), so that pass 2 runs every stage: generator, keyframe guide and
flow, trust, palettes, smoothing, upsampling. Then, in this one process:

  transcode   memovid.video.transcode of the gray clip (PyAV decode + libx264 encode)
  colorize    default settings, stages timed by memovid.timing (exclusive wall time on the main
              thread; decoding runs in a prefetch thread and the full-size finishing and encode in a
              write-behind thread: each shows as the time spent waiting for it)

With ``--new-clip`` the model learns instead from keyframes of a LATER stretch of the same cartoon
(NEW_CLIP_FRAMES, every 25th frame), none of them a frame of the clip: every shot is then painted by
the semantic match and the palette (memovid.paint.semantic), and its stages ("semantic fit",
"semantic guide") show as rows of their own.

And, apart: the peak resident memory of ``memovid colorize`` on the same clip (a child process, so
that training's memory is not counted), and training steps/s at batch 4 on 256 px crops (the
reference implementation: 0.117 it/s).

    python benchmarks/stage_profile.py [--frames 120] [--steps 20] [--train-steps 12] [--no-rss] [--new-clip]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

import memovid.log  # noqa: F401
from memovid import timing
from memovid.paint.colorize import colorize
from memovid.scenes import split_file
from memovid.training.config import TrainConfig
from memovid.training.train import train
from memovid.video import EncodeOptions, probe, read_frames, transcode, write_video

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLIP = DATA / "wannaworktogether" / "wannaworktogether.mp4"
START = 300  # a stretch with motion, zooms and a cut
SIZE = (1280, 720)
KEY_EVERY = 13
REFERENCE_IT_S = 0.117  # the public MemoPainter reproduction, batch 4, 256 px, these 2 cores


def make_clip(frames: int, work: Path) -> tuple[Path, Path]:
    """(colour truth FFV1, gray H.264) at 1280x720 from frames [START, START + frames) of CLIP."""
    def clip(gray: bool):
        for f in read_frames(CLIP, mode="rgb"):
            if f.index >= START + frames:
                break
            if f.index >= START:
                image = cv2.resize(f.image, SIZE, interpolation=cv2.INTER_CUBIC)
                if gray:
                    image = np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None], 3, 2)
                yield f.with_image(image)
    truth, gray = work / "truth.mkv", work / "gray.mp4"
    fps = probe(CLIP).fps  # not source=CLIP: its three-minute header duration would be carried over
    write_video(clip(False), truth, fps=fps, options=EncodeOptions(codec="ffv1"), overwrite=True)
    write_video(clip(True), gray, fps=fps, overwrite=True)
    return truth, gray


def train_model(truth: Path, gray: Path, steps: int, work: Path) -> Path:
    table = split_file(gray)
    folder = work / "keys"
    folder.mkdir(exist_ok=True)
    wanted = {i for shot in table.shots for i in range(shot.start, shot.end, KEY_EVERY)}
    for f in read_frames(truth, mode="rgb"):
        if f.index in wanted:
            cv2.imwrite(str(folder / f"frame_{f.index:05d}.png"), cv2.cvtColor(f.image, cv2.COLOR_RGB2BGR))
    model = work / "profile.memo"
    train([folder], model, config=TrainConfig(steps=steps), scenes=table, overwrite=True)
    return model


NEW_CLIP_FRAMES = (700, 1200)  # the later stretch the --new-clip model learns from, every 25th frame


def train_new_clip_model(steps: int, work: Path) -> Path:
    """A model trained on keyframes of NEW_CLIP_FRAMES of CLIP, enlarged as the clip is."""
    folder = work / "later_keys"
    folder.mkdir(exist_ok=True)
    for f in read_frames(CLIP, mode="rgb"):
        if f.index >= NEW_CLIP_FRAMES[1]:
            break
        if f.index >= NEW_CLIP_FRAMES[0] and f.index % 25 == 0:
            image = cv2.resize(f.image, SIZE, interpolation=cv2.INTER_CUBIC)
            cv2.imwrite(str(folder / f"frame_{f.index:05d}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    model = work / "later.memo"
    train([folder], model, config=TrainConfig(steps=steps), overwrite=True)
    return model


def training_speed(model_keys: Path, steps: int, work: Path) -> float:
    """Steps/s at batch 4 (the model's default) on 256 px crops, after two warm-up steps."""
    stamps: list[float] = []

    def progress(what, done, total):
        if what == "training":
            stamps.append(time.perf_counter())
    train([model_keys], work / "speed.memo", config=TrainConfig(size=256, crop=256, steps=steps + 2),
          overwrite=True, progress=progress)
    return steps / (stamps[-1] - stamps[1])


def colorize_rss(gray: Path, model: Path, work: Path) -> float:
    """Peak resident memory of ``memovid colorize`` on the clip, MiB (a child process of its own)."""
    subprocess.run([sys.executable, "-m", "memovid", "colorize", str(gray), "-m", str(model),
                    "-o", str(work / "rss.mp4"), "--overwrite"], check=True, capture_output=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def table(times: timing.StageTimes, total: float, frames: int) -> str:
    rows = sorted(times.seconds.items(), key=lambda kv: -kv[1])
    other = total - sum(times.seconds.values())
    lines = ["| stage | s | ms/frame | share |", "|---|---:|---:|---:|"]
    for name, s in [*rows, ("other (setup, model load, bookkeeping)", other)]:
        lines.append(f"| {name} | {s:.2f} | {1000 * s / frames:.1f} | {100 * s / total:.1f} % |")
    lines.append(f"| **total** | {total:.2f} | {1000 * total / frames:.1f} | 100 % |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--steps", type=int, default=20, help="training steps of the profiled model")
    parser.add_argument("--train-steps", type=int, default=12, help="timed training steps (0: skip)")
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-memory child run")
    parser.add_argument("--new-clip", action="store_true",
                        help="profile a model learnt from a later stretch: every shot painted by the semantic match")
    parser.add_argument("--keep", type=Path, help="keep the clip and model in this folder (reused when there)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        truth, gray, model = work / "truth.mkv", work / "gray.mp4", work / "profile.memo"
        if not model.exists():
            truth, gray = make_clip(args.frames, work)
            model = train_model(truth, gray, args.steps, work)
        if args.new_clip:
            later = work / "later.memo"
            model = later if later.exists() else train_new_clip_model(args.steps, work)
        t0 = time.perf_counter()
        plain = transcode(gray, work / "plain.mp4", overwrite=True)
        t_plain = time.perf_counter() - t0
        with timing.record() as times:
            t0 = time.perf_counter()
            result = colorize(gray, model, work / "colour.mp4", overwrite=True)
            t_colour = time.perf_counter() - t0
        frames = result.frames
        learnt = (f"keyframes of frames {NEW_CLIP_FRAMES[0]}-{NEW_CLIP_FRAMES[1]} (none of the clip)" if args.new_clip
                  else f"keyframes every {KEY_EVERY} frames of the clip")
        print(f"clip: {frames} frames of {CLIP.name} from frame {START}, {SIZE[0]}x{SIZE[1]} gray; "
              f"model: {args.steps} steps on {learnt}, {cv2.getNumThreads()} OpenCV threads\n")
        print(table(times, t_colour, frames))
        print(f"\ntranscode {plain.frames / t_plain:.1f} frames/s, colorize {frames / t_colour:.2f} frames/s: "
              f"ratio {t_plain / t_colour * frames / plain.frames:.3f}")
        if not args.no_rss:
            print(f"colorize peak RSS (child process): {colorize_rss(gray, model, work):.0f} MiB")
        if args.train_steps:
            speed = training_speed(work / "keys", args.train_steps, work)
            print(f"training: {speed:.3f} steps/s at batch 4, 256 px crops "
                  f"({speed / REFERENCE_IT_S:.1f}x the reference's {REFERENCE_IT_S} it/s)")


if __name__ == "__main__":
    main()
