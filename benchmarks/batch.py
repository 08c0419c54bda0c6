"""Batch throughput on real clips: local executor vs Ray at 1 and 2 workers, and the segment-join cost.

    .venv/bin/python benchmarks/batch.py [--steps 30] [--size 128]

Clips (from /work/shared/data, see DATA.md): tupi_example, kivy_cityCC0, renpy_oa4_launch, made
gray first (the input a restorer has). A small model is trained for a few steps on their colour
versions: the figures measure the batch machinery and colorize's speed, not colour quality.
Prints a markdown table. Numbers on a shared 2-core machine are preliminary (contention).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLIPS = ("tupi_example/example.avi", "kivy_cityCC0/cityCC0.mpg", "renpy_oa4_launch/oa4_launch.webm")


def gray_copies(folder: Path) -> list[Path]:
    from memovid.video import read_frames, write_video

    out = []
    for clip in CLIPS:
        source = DATA / clip
        target = folder / f"{source.parent.name}.mp4"
        frames = (f.with_image(np.repeat(f.image[..., None], 3, axis=2)) for f in read_frames(source, mode="gray"))
        write_video(frames, target, source=source, overwrite=True)
        out.append(target)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    import torch

    from memovid.api import load_pipeline
    from memovid.batch.run import run_batch
    from memovid.batch.segments import colorize_segment, plan_segments
    from memovid.scenes import split_file
    from memovid.video.join import join_segments
    from memovid.video import probe

    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory(prefix="memovid-bench-") as tmp:
        tmp = Path(tmp)
        films = gray_copies(tmp)
        frames = sum(probe(f, count_frames=True).frames for f in films)
        pipeline = load_pipeline("preview", [f"train.size={args.size}", f"train.steps={args.steps}",
                                             "train.frames_per_scene=3", "segments.min_seconds=2.0"])
        model = tmp / "bench.memo"
        pipeline.train([DATA / c for c in CLIPS], model, overwrite=True)

        rows = []
        for label, executor, jobs in (("local, 1 process", "local", 1), ("local, 2 processes", "local", 2),
                                      ("Ray, 1 worker", "ray", 1), ("Ray, 2 workers", "ray", 2)):
            started = time.perf_counter()
            result = run_batch(films, model, tmp / label.replace(" ", "_").replace(",", ""), pipeline=pipeline,
                               jobs=jobs, executor=executor)
            seconds = time.perf_counter() - started
            assert result.exit_code == 0, result.failed
            rows.append((label, len(films) / seconds * 60, result.frames / seconds, seconds))

        # The join's own cost: segments of the longest-cut clip, joined vs the time to colorize them.
        film = films[2]
        table = split_file(film, pipeline.settings.scenes)
        plan = plan_segments(film, table, pipeline.settings.segments)
        started = time.perf_counter()
        parts = [colorize_segment(pipeline, model, film, s, tmp / f"part{s.index}.mp4") for s in plan]
        work = time.perf_counter() - started
        joined = join_segments(parts, plan, film, tmp / "joined.mp4", pipeline.settings.encode)

    print(f"{len(films)} gray clips, {frames} frames, preset preview (working size {args.size}); "
          f"torch threads 2; preliminary (shared 2-core machine)\n")
    print("| executor | files/min | frames/s | wall s |")
    print("|---|---:|---:|---:|")
    for label, per_min, fps, seconds in rows:
        print(f"| {label} | {per_min:.1f} | {fps:.1f} | {seconds:.1f} |")
    print(f"\nsegment join: {len(plan)} segments, {joined.frames} frames joined in {joined.seconds * 1000:.0f} ms "
          f"= {100 * joined.seconds / max(work, 1e-9):.1f}% of the {work:.1f} s spent colorizing them")


if __name__ == "__main__":
    sys.exit(main())
