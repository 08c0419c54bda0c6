"""Scene-parallel segments and their join; Ray on a local 2-CPU cluster.

The join tests use a stand-in for colorize (a per-pixel inversion, deterministic) so that the
segment plan, the seeking decode, the packet join and the audio mux are checked exactly and fast;
the Ray test runs the real batch with a tiny trained model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from mediagen import make_video, packet_bytes, video_pts
from memovid.api import Pipeline, load_pipeline
from memovid.scenes import Scene, SceneTable, Shot, Transition
from memovid.batch.segments import SegmentConfig, colorize_segment, plan_segments, sub_table
from memovid.video.join import join_segments
from memovid.demo.synth import CartoonSpec, cartoon_frames, cartoon_truth
from memovid.video import read_frames, write_video

SPEC = CartoonSpec(width=96, height=64, fps=24, scenes=3, shot_frames=(12, 8, 12), fade_frames=4)


@dataclass(frozen=True)
class _Done:
    frames: int


class InvertPipeline(Pipeline):
    """A Pipeline whose colorize inverts the picture: same I/O path as colorize, no model."""

    def colorize(self, input, model, output, *, scenes=None, overwrite=False, progress=None):
        frames = (f.with_image(255 - f.image) for f in read_frames(input))
        written = write_video(frames, output, source=input, options=self.settings.encode, overwrite=overwrite)
        return _Done(written.frames)


def truth_table(spec: CartoonSpec = SPEC) -> SceneTable:
    truth = cartoon_truth(spec)
    shots = [Shot(a, b) for a, b in truth.shots]
    scenes = [Scene(a, b, [i for i, s in enumerate(shots) if a <= s.start < b]) for a, b in truth.scenes]
    fades = [Transition(a, b, "dissolve") for a, b in truth.fades]  # spans that cross scene starts
    return SceneTable(float(spec.fps), truth.frames, shots, fades, scenes)


@pytest.fixture(scope="module")
def cartoon(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("film") / "cartoon.mp4"
    return make_video(path, frames=cartoon_frames(SPEC), size=(SPEC.width, SPEC.height), fps=SPEC.fps,
                      options={"preset": "ultrafast", "g": "30"})


def test_segments_start_at_scene_starts_and_tile_the_film(cartoon):
    table = truth_table()
    plan = plan_segments(cartoon, table, SegmentConfig(min_seconds=0.5))
    scene_starts = [s.start for s in table.scenes]
    assert [s.start for s in plan] == scene_starts
    assert [s.end for s in plan] == scene_starts[1:] + [table.frames]
    assert plan[0].start_time is None and plan[-1].end_time is None
    # Seek targets fall halfway between the last frame of one segment and the first of the next.
    fps = SPEC.fps
    for segment in plan[1:]:
        assert segment.start_time == pytest.approx((segment.start - 0.5) / fps)
    # One long minimum: one segment; split off: one segment.
    assert len(plan_segments(cartoon, table, SegmentConfig(min_seconds=60))) == 1
    assert len(plan_segments(cartoon, table, SegmentConfig(split=False, min_seconds=0.5))) == 1
    assert len(plan_segments(cartoon, table, SegmentConfig(min_seconds=0.5, max_segments=2))) == 2


def test_sub_table_renumbers_and_clips_transitions():
    table = truth_table()
    second = table.scenes[1]
    sub = sub_table(table, second.start, second.end)
    assert sub.frames == second.end - second.start
    assert sub.shots[0].start == 0 and sub.shots[-1].end == sub.frames
    assert sub.scenes[0].shots == list(range(len(sub.shots)))
    assert all(0 <= t.start <= t.end <= sub.frames for t in sub.transitions)
    assert len(sub.transitions) == 2  # the fade in at its start, the fade out at its end, both clipped


def test_joined_segments_equal_a_one_piece_run(cartoon, tmp_path):
    """Frame count, timestamps, audio packets and pictures of the join equal a one-process run."""
    pipeline = InvertPipeline("invert", load_pipeline().settings)
    local = pipeline.colorize(cartoon, None, tmp_path / "local.mp4")
    plan = plan_segments(cartoon, truth_table(), SegmentConfig(min_seconds=0.5))
    parts = [colorize_segment(pipeline, None, cartoon, s, tmp_path / f"part{s.index}.mp4") for s in plan]
    joined = join_segments(parts, plan, cartoon, tmp_path / "joined.mp4", pipeline.settings.encode)

    assert len(plan) == 3 and joined.frames == local.frames == cartoon_truth(SPEC).frames
    assert video_pts(tmp_path / "joined.mp4") == video_pts(tmp_path / "local.mp4")
    assert packet_bytes(tmp_path / "joined.mp4", "audio") == packet_bytes(cartoon, "audio")
    a = np.stack([f.image for f in read_frames(tmp_path / "joined.mp4")]).astype(np.float32)
    b = np.stack([f.image for f in read_frames(tmp_path / "local.mp4")]).astype(np.float32)
    # Same pictures up to H.264 noise; no seam: the frames at segment starts are as close as the rest.
    error = np.abs(a - b).mean(axis=(1, 2, 3))
    assert error.max() < 4.0
    starts = [s.start for s in plan[1:]]
    assert error[starts].max() < 4.0


def test_join_starts_each_segment_on_a_keyframe(cartoon, tmp_path):
    import av

    pipeline = InvertPipeline("invert", load_pipeline().settings)
    plan = plan_segments(cartoon, truth_table(), SegmentConfig(min_seconds=0.5))
    parts = [colorize_segment(pipeline, None, cartoon, s, tmp_path / f"part{s.index}.mp4") for s in plan]
    join_segments(parts, plan, cartoon, tmp_path / "joined.mp4", pipeline.settings.encode)
    with av.open(str(tmp_path / "joined.mp4")) as container:
        stream = container.streams.video[0]
        keyframes = sorted(round(float(p.pts * p.time_base) * SPEC.fps)
                           for p in container.demux(stream) if p.size and p.is_keyframe)
    assert {s.start for s in plan} <= set(keyframes)


def invert_film(job, scenes=None, segment=None, part=None):
    """Stand-in for colorize_job on Ray (pickled by value with this module): a film or one segment."""
    if segment is not None:
        colorize_segment(job.pipeline, None, job.input, segment, part)
        return segment.frames, 0.0
    return job.pipeline.colorize(job.input, None, job.output, overwrite=True).frames, 0.0


def test_ray_batch_splits_a_film_by_scenes_and_matches_a_local_run(cartoon, tmp_path):
    """A local 2-CPU Ray: one film in scene segments, one short film whole; same frames, timestamps,
    audio as the local executor."""
    ray = pytest.importorskip("ray")
    from ray import cloudpickle
    import sys

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    from memovid.batch.run import run_batch

    short = make_video(tmp_path / "short.mp4", n=10, size=(64, 48))
    model = tmp_path / "stand-in.memo"
    model.write_bytes(b"unused by the stand-in")
    settings = load_pipeline(None, ["segments.min_seconds=0.5"]).settings
    pipeline = InvertPipeline("invert", settings)
    local = run_batch([cartoon, short], model, tmp_path / "local", pipeline=pipeline, work=invert_film)
    started = time.perf_counter()
    remote = run_batch([cartoon, short], model, tmp_path / "ray", pipeline=pipeline, jobs=2, executor="ray",
                       work=invert_film)
    assert time.perf_counter() - started < 90
    assert not ray.is_initialized()  # the local cluster it started is shut down again
    assert [r.status for r in remote.results] == ["done", "done"] == [r.status for r in local.results]
    assert [r.frames for r in remote.results] == [r.frames for r in local.results]
    for name in ("cartoon.mp4", "short.mp4"):
        a, b = tmp_path / "ray" / name, tmp_path / "local" / name
        assert video_pts(a) == video_pts(b)
        assert packet_bytes(a, "audio") == packet_bytes(b, "audio")
    assert not list((tmp_path / "ray").glob(".*"))  # segment folders and temp files are gone
