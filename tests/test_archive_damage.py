"""Damage tolerated like FFmpeg: skipped, counted, filled, said once with timecodes; exit 2 only when
nothing at all can be read. Files are damaged at the byte level in tmp_path."""

import logging

import av
import pytest
from click.testing import CliRunner

from archivegen import garbage, make_packed_avi, truncate, zero_header
from mediagen import make_video
from memovid.cli import cli
from memovid.errors import InputError
from memovid.video import read_frames, transcode


def warnings_of(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def run(*args):
    return CliRunner().invoke(cli, ["--quiet", *map(str, args)])


@pytest.fixture(scope="module")
def divx(tmp_path_factory):
    return make_packed_avi(tmp_path_factory.mktemp("divx") / "divx.avi", n=100, size=(160, 120))


def test_garbage_in_an_avi_keeps_the_frame_count_and_says_where(divx, tmp_path, caplog):
    bad = garbage(divx, 0.5, 4096, out=tmp_path / "bad.avi")
    with caplog.at_level(logging.WARNING, logger="memovid"):
        frames = list(read_frames(bad))
    assert len(frames) == 100
    pts = [f.pts for f in frames]
    assert pts == sorted(pts) and len(set(pts)) == 100
    (warning,) = warnings_of(caplog)
    assert "bad.avi" in warning and "filled by repeating the previous one at 00:00:0" in warning
    # the frames that stand in for the lost ones repeat the one before them
    filled = [i for i in range(1, 100) if (frames[i].image == frames[i - 1].image).all()]
    assert filled and all(abs(frames[i].time - frames[filled[0]].time) < 1 for i in filled)


def test_damaged_avi_transcodes_in_sync_with_exit_0(divx, tmp_path):
    bad = garbage(divx, 0.5, 4096, out=tmp_path / "bad.avi")
    out = tmp_path / "out.mkv"
    result = run("transcode", bad, "-o", out)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    with av.open(str(out)) as c:
        times = [float(f.pts * f.time_base) for f in c.decode(video=0)]
        assert len(c.streams.audio) == 1
    # the last picture is where the source's is: the sound after the damage stays in sync
    assert len(times) == 100 and abs(times[-1] - times[0] - 99 / 25) < 0.002


def test_warning_is_given_once_per_file_however_often_it_is_read(divx, tmp_path, caplog):
    bad = garbage(divx, 0.3, 2048, out=tmp_path / "twice.avi")
    with caplog.at_level(logging.WARNING, logger="memovid"):
        for _ in range(2):
            sum(1 for _ in read_frames(bad))
    assert len(warnings_of(caplog)) == 1


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9])
def test_truncated_file_gives_what_it_holds(divx, tmp_path, caplog, fraction):
    cut = truncate(divx, fraction, out=tmp_path / "cut.avi")
    out = tmp_path / "out.mp4"
    with caplog.at_level(logging.WARNING, logger="memovid"):
        result = transcode(cut, out)
    assert 0 < result.frames < 100 and out.exists()
    (warning,) = warnings_of(caplog)
    assert "cut.avi" in warning and "ends at 00:00:0" in warning


def test_garbage_in_an_mp4_is_skipped_with_exit_0(tmp_path):
    src = make_video(tmp_path / "ok.mp4", n=60, size=(96, 64))
    bad = garbage(src, 0.4, 3000, out=tmp_path / "bad.mp4")
    result = run("transcode", bad, "-o", tmp_path / "out.mp4")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_zeroed_header_is_read_or_refused_in_one_line(divx, tmp_path):
    bad = zero_header(divx, 64, out=tmp_path / "zero.avi")
    result = run("transcode", bad, "-o", tmp_path / "out.mp4")
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "out.mp4").exists() == (result.exit_code == 0)


def test_nothing_decodable_is_exit_2_naming_the_file(tmp_path):
    src = make_video(tmp_path / "ok.mkv", n=30, size=(96, 64), audio=False)
    with av.open(str(src)) as c:
        start = next(p.pos for p in c.demux(video=0) if p.size)
    data = bytearray(src.read_bytes())
    data[start:] = bytes(len(data) - start)  # keep the header, lose every picture
    bad = tmp_path / "ruined.mkv"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match="ruined.mkv"):
        list(read_frames(bad))
    out = tmp_path / "out.mp4"
    result = run("transcode", bad, "-o", out)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("memovid: error:")]
    assert len(lines) == 1 and "ruined.mkv" in lines[0]
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_sound_packets_the_muxer_refuses_are_skipped_and_said(tmp_path, caplog):
    """A source whose sound repeats timestamps (mkv allows it, mp4 does not) still transcodes."""
    src = make_video(tmp_path / "ok.mkv", n=25, size=(64, 48))
    broken = tmp_path / "broken.mkv"
    with av.open(str(src)) as c, av.open(str(broken), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in (c.streams.video[0], c.streams.audio[0])}
        previous = None
        for i, packet in enumerate(p for p in c.demux() if p.size):
            if packet.stream.type == "audio":
                if i % 7 == 3 and previous is not None:
                    packet.dts = packet.pts = previous  # the time of the packet before, again
                previous = packet.dts
            packet.stream = streams[packet.stream_index]
            out.mux(packet)
    with caplog.at_level(logging.WARNING, logger="memovid"):
        result = transcode(broken, tmp_path / "out.mp4")
    assert result.frames == 25
    assert any("broken.mkv" in w and "sound/subtitle packet(s)" in w for w in warnings_of(caplog))
