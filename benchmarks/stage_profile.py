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

And, apart, each in a child process running the ``memovid colorize`` command itself (so that
training's memory is not counted and start-up is): the time from the command's start to its first
frames handed to the encoder (the first batch painted: interpreter, imports, model load, pass 1, the
fits), its whole wall time, and its peak resident memory; then training steps/s at batch 4 on 256 px
crops (the reference implementation: 0.117 it/s).

``--clip`` profiles another film (e.g. Megamind.avi, a 3D cartoon from Debian's opencv-doc, fetched
by benchmarks/new_clips.py into bench_out/) from ``--start``; ``--loop N`` plays the cut N times
over (a long film from a short clip: keyframes every 13 frames all the way, as in the clip).

    python benchmarks/stage_profile.py [--frames 120] [--steps 20] [--train-steps 12] [--no-rss] [--new-clip]
                                       [--clip PATH --start N] [--loop N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
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
from memovid.video.frame import Frame

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLIP = DATA / "wannaworktogether" / "wannaworktogether.mp4"
START = 300  # a stretch with motion, zooms and a cut
SIZE = (1280, 720)
KEY_EVERY = 13
REFERENCE_IT_S = 0.117  # the public MemoPainter reproduction, batch 4, 256 px, these 2 cores


def make_clip(frames: int, work: Path, clip_path: Path = CLIP, start: int = START,
              loop: int = 1) -> tuple[Path, Path]:
    """(colour truth FFV1, gray H.264) at 1280x720 from frames [start, start + frames) of ``clip_path``,
    played ``loop`` times over."""
    def clip(gray: bool):
        n = 0
        for _ in range(loop):
            for f in read_frames(clip_path, mode="rgb"):
                if f.index >= start + frames:
                    break
                if f.index >= start:
                    image = cv2.resize(f.image, SIZE, interpolation=cv2.INTER_CUBIC)
                    if gray:
                        image = np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None], 3, 2)
                    yield Frame(image, n)
                    n += 1
    truth, gray = work / "truth.mkv", work / "gray.mp4"
    fps = probe(clip_path).fps  # not source=: a long header duration would be carried over
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


# The child: the memovid command itself, its progress bar swapped for one that notes when the first
# painted frames go to the encoder (seconds since the parent started it, passed as argv[1]).
CHILD = """
import contextlib, json, sys, time
started = float(sys.argv[1])
import memovid.cli.ui as ui
first = []
@contextlib.contextmanager
def progress_bar(quiet):
    def report(what, done, total):
        if what == "colorizing" and not first:
            first.append(time.time() - started)
    yield report
ui.progress_bar = progress_bar
from memovid.cli import cli
try:
    cli.main(args=sys.argv[2:], prog_name="memovid", standalone_mode=False)
finally:
    wall = time.time() - started
    with open("/proc/self/status") as status:  # the child's own high-water mark (Linux)
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    print(json.dumps({"first_frame_s": first[0] if first else None, "wall_s": wall, "peak_mib": peak}))
"""


def colorize_child(gray: Path, model: Path, work: Path) -> dict:
    """``memovid colorize`` on the clip in a child process: {first_frame_s, wall_s, peak_mib}. The peak is
    the child's own VmHWM: ru_maxrss of RUSAGE_CHILDREN also counts the pages a child shares with this
    parent between fork and exec (1255 MiB read after an in-process colorize, where the child's own
    high-water mark was 933)."""
    started = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, repr(started), "colorize", str(gray), "-m", str(model),
                          "-o", str(work / "child.mp4"), "--overwrite"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


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
    parser.add_argument("--clip", type=Path, default=CLIP, help="the film to cut the clip from")
    parser.add_argument("--start", type=int, default=START, help="the clip's first frame in --clip")
    parser.add_argument("--loop", type=int, default=1, help="play the cut this many times over (a long film)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        truth, gray, model = work / "truth.mkv", work / "gray.mp4", work / "profile.memo"
        if not model.exists():
            truth, gray = make_clip(args.frames, work, args.clip, args.start, args.loop)
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
        looped = f", played {args.loop} times" if args.loop > 1 else ""
        print(f"clip: {frames} frames of {args.clip.name} from frame {args.start}{looped}, {SIZE[0]}x{SIZE[1]} gray; "
              f"model: {args.steps} steps on {learnt}, {cv2.getNumThreads()} OpenCV threads\n")
        print(table(times, t_colour, frames))
        print(f"\ntranscode {plain.frames / t_plain:.1f} frames/s, colorize {frames / t_colour:.2f} frames/s: "
              f"ratio {t_plain / t_colour * frames / plain.frames:.3f}")
        if not args.no_rss:
            child = colorize_child(gray, model, work)
            print(f"`memovid colorize` (child process): first frames to the encoder {child['first_frame_s']:.2f} s "
                  f"after its start, whole run {child['wall_s']:.2f} s ({frames / child['wall_s']:.2f} frames/s, "
                  f"ratio to the transcode {t_plain / child['wall_s'] * frames / plain.frames:.3f}), "
                  f"peak RSS {child['peak_mib']:.0f} MiB")
        if args.train_steps:
            speed = training_speed(work / "keys", args.train_steps, work)
            print(f"training: {speed:.3f} steps/s at batch 4, 256 px crops "
                  f"({speed / REFERENCE_IT_S:.1f}x the reference's {REFERENCE_IT_S} it/s)")


if __name__ == "__main__":
    main()
