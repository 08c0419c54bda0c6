"""Interlaced transfers: flagged and seen field order reported by info, and --deinterlace through
FFmpeg's own filter (bwdif) keeping every frame and its time. Files are woven from two instants a
field apart, as a tape camera records them, and coded interlaced."""

from fractions import Fraction

import av
import numpy as np
import pytest
from click.testing import CliRunner

from mediagen import make_video
from memovid.cli import cli
from memovid.video import probe, read_frames
from memovid.video.decode import deinterlacer

SIZE = (160, 120)


def scene(t: float) -> np.ndarray:
    """A bright block moving 6 pixels a field over a dark ground shaded left to right."""
    w, h = SIZE
    ground = np.broadcast_to((40 + np.arange(w) // 8).astype(np.uint8)[None, :, None], (h, w, 3))
    image = ground.copy()
    x = int(10 + t * 6) % (w - 30)
    image[30:90, x:x + 30] = (220, 200, 180)
    return image


def interlaced_film(path, *, n=30, codec="mpeg2video", options=None, bottom_first=True):
    """Each frame woven from two fields a field apart; the earlier field is the bottom one when
    ``bottom_first`` (what mpeg2video flags by default, and DV records)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=25, options=options or {"flags": "+ildct+ilme", "b": "4M"})
        stream.width, stream.height, stream.pix_fmt = *SIZE, "yuv420p"
        for i in range(n):
            first, second = scene(2 * i), scene(2 * i + 1)
            image = second.copy()
            rows = slice(1, None, 2) if bottom_first else slice(0, None, 2)
            image[rows] = first[rows]
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def combing(gray: np.ndarray) -> float:
    """Mean second difference down the columns: high where neighbouring lines come from other instants."""
    y = gray.astype(np.float32)
    return float(np.abs(2 * y[1:-1] - y[:-2] - y[2:]).mean())


@pytest.fixture(scope="module")
def tape(tmp_path_factory):
    return interlaced_film(tmp_path_factory.mktemp("tape") / "tape.mpg")


def test_info_reports_flagged_and_seen_field_order(tape, tmp_path):
    info = probe(tape, detect_interlace=True)
    assert (info.field_order, info.fields_seen, info.interlaced) == ("bff", "bff", True)
    assert probe(tape).fields_seen is None  # idet only runs when asked
    progressive = probe(make_video(tmp_path / "p.mp4", n=30, size=SIZE, audio=False), detect_interlace=True)
    assert progressive.fields_seen == "progressive" and not progressive.interlaced

    result = CliRunner().invoke(cli, ["info", str(tape)])
    assert result.exit_code == 0 and "bff" in result.output and "--deinterlace" in result.output


def test_deinterlace_weaves_every_frame_and_keeps_its_time(tape):
    assert deinterlacer() == "bwdif"
    plain = list(read_frames(tape, mode="gray"))
    woven = list(read_frames(tape, mode="gray", deinterlace=True))
    assert len(woven) == len(plain) == 30
    assert [f.pts for f in woven] == [f.pts for f in plain]
    before = np.mean([combing(f.image) for f in plain])
    after = np.mean([combing(f.image) for f in woven])
    assert after < before / 4, (before, after)


def test_transcode_deinterlace_writes_progressive_frames(tape, tmp_path):
    out = tmp_path / "woven.mkv"
    result = CliRunner().invoke(cli, ["--quiet", "transcode", str(tape), "-o", str(out), "--codec", "ffv1",
                                      "--deinterlace"])
    assert result.exit_code == 0, result.output
    info = probe(out, count_frames=True, detect_interlace=True)
    assert info.frames == 30 and info.fields_seen == "progressive"


def test_interlaced_h264_is_seen_and_woven(tmp_path):
    film = interlaced_film(tmp_path / "broadcast.mkv", codec="libx264", bottom_first=False,
                           options={"flags": "+ildct+ilme", "x264-params": "tff=1", "preset": "ultrafast"})
    info = probe(film, detect_interlace=True)
    assert info.fields_seen == "tff" and info.interlaced
    woven = list(read_frames(film, mode="gray", deinterlace=True))
    assert len(woven) == 30 and np.mean([combing(f.image) for f in woven]) < 4


def test_deinterlace_refuses_an_image_sequence(tmp_path):
    from mediagen import make_image_sequence
    from memovid.errors import InputError

    make_image_sequence(tmp_path / "frames", n=2)
    with pytest.raises(InputError, match="image sequence"):
        next(iter(read_frames(tmp_path / "frames", deinterlace=True)))
