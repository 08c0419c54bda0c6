"""read_frames options (max_size, gray, start/end time, prefetch), damaged input and probe."""

import logging
from fractions import Fraction

import cv2
import numpy as np
import pytest

from mediagen import make_image_sequence, make_video, moving_shapes
from memovid.video import probe, read_frames


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", n=50, size=(96, 64))


def test_max_size_keeps_aspect(clip):
    frames = list(read_frames(clip, max_size=48))
    assert len(frames) == 50 and frames[0].image.shape == (32, 48, 3)
    full = next(iter(read_frames(clip))).image
    area = cv2.resize(full, (48, 32), interpolation=cv2.INTER_AREA)
    assert np.abs(frames[0].image.astype(int) - area).mean() < 3
    # max_size above the frame size leaves it alone
    assert next(iter(read_frames(clip, max_size=500))).image.shape == (64, 96, 3)


def test_gray_is_full_range_luma(clip):
    gray = list(read_frames(clip, mode="gray"))
    rgb = list(read_frames(clip))
    assert gray[0].image.shape == (64, 96) and gray[0].image.dtype == np.uint8
    expected = cv2.cvtColor(rgb[7].image, cv2.COLOR_RGB2GRAY)
    assert np.abs(gray[7].image.astype(int) - expected).mean() < 2.5
    assert gray[7].image.max() > 240  # the white counter bar: 255, not studio-range 235


def test_start_end_time_seek_indices_are_relative_to_file(clip):
    all_frames = list(read_frames(clip))
    part = list(read_frames(clip, start_time=1.0, end_time=1.4))
    assert [f.index for f in part] == list(range(25, 35))
    assert [f.pts for f in part] == [f.pts for f in all_frames[25:35]]
    np.testing.assert_array_equal(part[0].image, all_frames[25].image)
    assert part[0].time_base == Fraction(1, 12800) and part[0].time == pytest.approx(1.0)


def test_prefetch_yields_the_same_frames(clip):
    plain = [(f.index, f.pts) for f in read_frames(clip)]
    assert [(f.index, f.pts) for f in read_frames(clip, prefetch=4)] == plain


def test_image_sequence_max_size_gray_and_start(tmp_path):
    make_image_sequence(tmp_path / "seq", n=30, size=(80, 40))
    frames = list(read_frames(tmp_path / "seq", mode="gray", max_size=20, start_time=1.0))
    # image sequences run at 25 fps: 1.0 s is frame 25
    assert [f.index for f in frames] == [25, 26, 27, 28, 29]
    assert frames[0].image.shape == (10, 20)


def _damage(src, dst, fn):
    data = bytearray(src.read_bytes())
    fn(data)
    dst.write_bytes(bytes(data))
    return dst


def test_garbage_in_the_middle_skips_packets_with_one_warning(tmp_path, caplog):
    src = make_video(tmp_path / "ok.mp4", n=60, size=(96, 64), audio=False)
    rng = np.random.default_rng(1)

    def scribble(data):
        n = len(data) // 3
        data[n : n + 3000] = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()

    bad = _damage(src, tmp_path / "bad.mp4", scribble)
    good = list(read_frames(src))
    with caplog.at_level(logging.WARNING, logger="memovid"):
        frames = list(read_frames(bad))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "bad.mp4" in warnings[0] and "undecodable packet(s) skipped" in warnings[0]
    skipped = int(warnings[0].split(": ")[1].split()[0])
    assert skipped >= 1 and len(frames) >= 60 - skipped - 5
    # frames before and after the damage come out, with their own timestamps
    np.testing.assert_array_equal(frames[0].image, good[0].image)
    np.testing.assert_array_equal(frames[-1].image, good[-1].image)
    assert frames[-1].pts == good[-1].pts


def test_truncated_file_gives_the_frames_before_and_a_warning(tmp_path, caplog):
    src = make_video(tmp_path / "ok.mkv", n=60, size=(96, 64))
    cut = _damage(src, tmp_path / "cut.mkv", lambda data: data.__delitem__(slice(len(data) * 2 // 3, None)))
    good = list(read_frames(src))
    with caplog.at_level(logging.WARNING, logger="memovid"):
        frames = list(read_frames(cut))
    assert 20 < len(frames) < 60
    np.testing.assert_array_equal(frames[10].image, good[10].image)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "cut.mkv" in warnings[0] and "truncated" in warnings[0]


def test_clean_file_logs_nothing(clip, caplog):
    with caplog.at_level(logging.WARNING, logger="memovid"):
        assert sum(1 for _ in read_frames(clip)) == 50
    assert not caplog.records


def test_probe_video_and_json(clip):
    info = probe(clip)
    assert (info.width, info.height, info.frames, info.frames_estimated) == (96, 64, 50, False)
    assert info.fps == Fraction(25) and info.duration == pytest.approx(2.0)
    assert (info.codec, info.pix_fmt, info.bit_depth, info.rotation, info.is_vfr) == ("h264", "yuv420p", 8, 0, False)
    d = info.to_dict()
    assert d["fps"] == "25/1" and d["audio"][0]["channels"] == 2 and d["is_image_sequence"] is False
    import json

    json.dumps(d)


def test_probe_counts_frames_when_the_header_has_none(tmp_path):
    src = make_video(tmp_path / "c.mkv", n=17, audio=False)
    assert probe(src, count_frames=True).frames == 17
    assert probe(src, count_frames=True).frames_estimated is False


def test_probe_rotation_from_display_matrix(tmp_path):
    import av

    path = tmp_path / "rot.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 32, 16, "yuv420p"
        stream.set_display_rotation(90)
        for image in moving_shapes(3, (32, 16)):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode())
    assert probe(path).rotation == 90
