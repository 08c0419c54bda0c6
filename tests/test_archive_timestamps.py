"""Timestamps that never break the muxer: packed B-frames, missing, duplicate, decreasing pts, VFR."""

from fractions import Fraction

import av
import numpy as np
import pytest

from archivegen import make_packed_avi
from mediagen import make_video, moving_shapes
from memovid.video import EncodeOptions, read_frames, transcode, write_video
from memovid.video.frame import Frame
from memovid.video.timeline import LOST, Timeline


def placed(labels, step=1, depth=4, items=None):
    timeline = Timeline(step, depth)
    items = items if items is not None else list(range(len(labels)))
    out = []
    for item, label in zip(items, labels):
        out += list(timeline.push(item, label))
    return out + list(timeline.drain()), timeline


class TestTimeline:
    def test_packed_bframe_shuffle_is_undone_exactly(self):
        out, timeline = placed([1, 2, 4, 3, 5, 7, 6, 8, 10, 9])
        assert out == [(i, i + 1) for i in range(10)] and timeline.repaired == 0

    def test_missing_labels_are_one_step_after_the_previous(self):
        out, timeline = placed([0, 10, None, None, 40], step=10)
        assert [pts for _, pts in out] == [0, 10, 20, 30, 40] and timeline.repaired == 2

    def test_duplicate_and_decreasing_labels_are_moved_forward(self):
        out, _ = placed([0, 1, 1, 2, 0, 0, 0, 0, 0, 0], depth=0)
        pts = [p for _, p in out]
        assert len(pts) == 10 and all(b > a for a, b in zip(pts, pts[1:]))

    def test_variable_gaps_are_kept(self):
        labels = [0, 1, 3, 6, 10, 11, 20]
        out, timeline = placed(labels)
        assert [p for _, p in out] == labels and timeline.repaired == 0

    def test_a_lost_picture_fills_the_gap_it_leaves(self):
        # the failure is reported late (threaded decoders): the gap in the pictures' times decides
        out, timeline = placed([0, 1, None, 3, 4], items=["a", "b", LOST, "d", "e"])
        assert out == [("a", 0), ("b", 1), (LOST, 2), ("d", 3), ("e", 4)] and timeline.dropped == 0

    def test_lost_pictures_fill_no_more_than_were_lost(self):
        out, timeline = placed([0, None, 10], items=["a", LOST, "c"])
        assert out == [("a", 0), (LOST, 1), ("c", 10)]

    def test_a_lost_picture_without_a_gap_is_dropped(self):
        out, timeline = placed([0, 1, None, 2], items=["a", "b", LOST, "c"])
        assert [item for item, _ in out] == ["a", "b", "c"] and timeline.dropped == 1
        out, timeline = placed([0, None], items=["a", LOST])
        assert out == [("a", 0)] and timeline.dropped == 1

    def test_where_the_time_base_counts_frames_every_gap_is_filled(self):
        timeline = Timeline(1, fill_gaps=True)
        out = [*timeline.push("a", 0), *timeline.push("d", 3), *timeline.drain()]
        assert out == [("a", 0), (LOST, 1), (LOST, 2), ("d", 3)]


@pytest.fixture(scope="module")
def divx(tmp_path_factory):
    return make_packed_avi(tmp_path_factory.mktemp("divx") / "divx.avi", n=30, size=(64, 48))


def test_packed_avi_is_what_the_issue_describes(divx):
    """The fixture is the real trouble: packed chunks, 7-byte placeholders, pts going back."""
    with av.open(str(divx)) as c:
        sizes = [p.size for p in c.demux(video=0) if p.size]
    with av.open(str(divx)) as c:
        pts = [f.pts for f in c.decode(video=0)]
    assert 7 in sizes and len(sizes) == 30
    assert any(b < a for a, b in zip(pts, pts[1:]))


def test_packed_bframes_decode_in_order_with_increasing_pts(divx):
    frames = list(read_frames(divx))
    assert len(frames) == 30
    pts = [f.pts for f in frames]
    assert all(b > a for a, b in zip(pts, pts[1:]))
    # every picture is the source frame of its own position (MPEG-4 at this size is lossy but close)
    source = list(moving_shapes(30, (64, 48)))
    for i, frame in enumerate(frames):
        errors = [np.abs(frame.image.astype(int) - s).mean() for s in source]
        assert int(np.argmin(errors)) == i


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_packed_avi_transcodes_with_its_frames_and_sound(divx, tmp_path, suffix):
    out = tmp_path / f"out{suffix}"
    result = transcode(divx, out)
    assert result.frames == 30
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams].count("audio") == 1
        audio = c.streams.audio[0]
        assert audio.codec_context.name == "ac3"
        video_times = [float(f.pts * f.time_base) for f in c.decode(video=0)]
    with av.open(str(out)) as c:
        audio_end = max(float((p.pts + p.duration) * p.time_base) for p in c.demux(audio=0) if p.size)
    assert len(video_times) == 30 and all(b > a for a, b in zip(video_times, video_times[1:]))
    # sync: the picture keeps the source's times (1/25 s apart), and the sound lasts as long as the film
    assert np.allclose(np.diff(video_times), 1 / 25, atol=1e-3)
    assert abs(audio_end - 30 / 25) < 0.05


def test_writer_accepts_frames_whose_pts_repeat_or_go_back(tmp_path):
    images = list(moving_shapes(6, (32, 24)))
    pts = [0, 1, 1, 0, 3, 2]
    frames = (Frame(img, i, p, Fraction(1, 25)) for i, (img, p) in enumerate(zip(images, pts)))
    result = write_video(frames, tmp_path / "out.mp4", options=EncodeOptions(codec="h264"))
    assert result.frames == 6
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == 6


def test_elementary_stream_without_timestamps_keeps_every_frame(tmp_path):
    """A raw H.264 stream has no container timestamps: frames are placed at the nominal rate."""
    raw = make_video(tmp_path / "raw.h264", n=20, size=(64, 48), audio=False)
    frames = list(read_frames(raw))
    assert len(frames) == 20
    out = tmp_path / "out.mkv"
    assert transcode(raw, out).frames == 20
    with av.open(str(out)) as c:
        times = [float(f.pts * f.time_base) for f in c.decode(video=0)]
    assert len(times) == 20 and all(b > a for a, b in zip(times, times[1:]))


def test_vfr_timestamps_are_kept(tmp_path):
    pts = [0, 1, 3, 6, 10, 11, 12, 20, 21, 22]
    src = make_video(tmp_path / "vfr.mkv", n=10, vfr_pts=pts, audio=False)
    frames = list(read_frames(src))
    times = [f.time for f in frames]
    assert np.allclose(np.array(times) - times[0], np.array(pts) / 100, atol=2e-3)
