"""info, transcode and scenes through the CLI: results, and every bad-input case as one line + exit 2."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from memovid.cli import cli
from memovid.video import probe
from tests.mediagen import make_image_sequence, make_video, packet_bytes


@pytest.fixture
def clip(tmp_path):
    return make_video(tmp_path / "clip.mp4", n=30, size=(64, 48), audio=True)


def run(*args):
    return CliRunner().invoke(cli, ["--quiet", *map(str, args)])


def one_error_line(result, *fragments):
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("memovid: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output


def test_info_json_reports_stream_facts(clip):
    result = run("info", clip, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["width"], data["height"], data["frames"]) == (64, 48, 30)
    assert data["fps"] == "25/1" and len(data["audio"]) == 1


def test_info_table_names_the_fields(clip):
    result = run("info", clip)
    assert result.exit_code == 0 and "width" in result.output and "64" in result.output


def test_transcode_keeps_frames_and_copies_audio(clip, tmp_path):
    out = tmp_path / "out.mkv"
    result = run("transcode", clip, "-o", out, "--codec", "ffv1")
    assert result.exit_code == 0, result.output
    assert probe(out, count_frames=True).frames == 30
    assert [data for _, data in packet_bytes(out, "audio")] == [data for _, data in packet_bytes(clip, "audio")]


def test_missing_input(tmp_path):
    missing = tmp_path / "nope.mp4"
    result = run("transcode", missing, "-o", tmp_path / "o.mp4")
    assert result.exit_code == 2
    one_error_line(result, "nope.mp4")


def test_not_a_media_file(tmp_path):
    junk = tmp_path / "notes.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    result = run("info", junk)
    assert result.exit_code == 2
    one_error_line(result, "notes.mp4")


def test_no_video_stream(tmp_path):
    import av

    audio_only = tmp_path / "sound.mka"
    with av.open(str(audio_only), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    result = run("transcode", audio_only, "-o", tmp_path / "o.mp4")
    assert result.exit_code == 2
    one_error_line(result, "sound.mka", "video")


def test_unreadable_image_in_sequence(tmp_path):
    files = make_image_sequence(tmp_path / "frames", n=5)
    folder, bad = files[0].parent, files[2]
    bad.write_bytes(b"broken")
    result = run("transcode", folder, "-o", tmp_path / "o.mp4")
    assert result.exit_code == 2
    one_error_line(result, bad.name)
    assert not (tmp_path / "o.mp4").exists()


def test_existing_output_is_kept_without_overwrite(clip, tmp_path):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"precious")
    result = run("transcode", clip, "-o", out)
    assert result.exit_code == 2
    one_error_line(result, "out.mp4", "--overwrite")
    assert out.read_bytes() == b"precious"
    assert run("transcode", clip, "-o", out, "--overwrite").exit_code == 0
    assert probe(out).frames == 30


def test_output_equal_to_input_is_refused(clip):
    result = run("transcode", clip, "-o", clip, "--overwrite")
    assert result.exit_code == 2
    one_error_line(result, "clip.mp4")
    assert probe(clip).frames == 30


def test_scenes_json_to_file_and_refuses_to_overwrite(clip, tmp_path):
    out = tmp_path / "scenes.json"
    assert run("scenes", clip, "--format", "json", "-o", out).exit_code == 0
    data = json.loads(out.read_text())
    assert data["frames"] == 30 and data["shots"][0]["start"] == 0 and data["shots"][-1]["end"] == 30
    result = run("scenes", clip, "--format", "json", "-o", out)
    assert result.exit_code == 2
    one_error_line(result, "scenes.json")


def test_scenes_format_follows_the_output_suffix(clip, tmp_path):
    assert run("scenes", clip, "-o", tmp_path / "s.json").exit_code == 0
    assert json.loads((tmp_path / "s.json").read_text())["frames"] == 30
    assert run("scenes", clip, "-o", tmp_path / "s.edl").exit_code == 0
    assert (tmp_path / "s.edl").read_text().startswith("TITLE: clip")
    assert run("scenes", clip, "-o", tmp_path / "s.txt").exit_code == 0  # unknown suffix: the table (CSV)
    assert run("scenes", clip, "-o", tmp_path / "s.csv").exit_code == 0
    assert (tmp_path / "s.txt").read_text() == (tmp_path / "s.csv").read_text()
    assert (tmp_path / "s.csv").read_text().splitlines()[0].count(",") >= 2


def test_scenes_edl_on_stdout(clip):
    result = run("scenes", clip, "--format", "edl")
    assert result.exit_code == 0
    assert result.output.startswith("TITLE: clip")
    assert "001  AX       V     C" in result.output
