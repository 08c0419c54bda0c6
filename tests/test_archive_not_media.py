"""What is not a film is refused in one line naming the file, exit 2: text (FFmpeg's tty demuxer draws
it as ANSI art), subtitles, sound alone, empty files, a still image where a video is expected."""

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from mediagen import SAMPLE_RATE, _write_audio
from memovid.cli import cli
from memovid.errors import InputError
from memovid.video import probe, read_frames

TEXT = "Reel 2 of 3. Vinegar syndrome at the head; splices at 00:04:10 and 00:07:55.\n" * 40


def _write(path, text):
    path.write_text(text)
    return path


def _still(path):
    image = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), image)
    return path


def _sound(path):
    import av

    with av.open(str(path), "w") as out:
        _write_audio(out, out.add_stream("pcm_s16le", rate=SAMPLE_RATE, layout="stereo"), 0.5)
    return path


CASES = {
    "notes.txt": (lambda p: _write(p, TEXT), "a text file, not a video"),
    "readme.nfo": (lambda p: _write(p, TEXT), "a text file, not a video"),
    "film.srt": (lambda p: _write(p, "1\n00:00:01,000 --> 00:00:02,000\nHello\n\n"), "a subtitle file (srt)"),
    "film.vtt": (lambda p: _write(p, "WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n"), "a subtitle file (webvtt)"),
    "empty.mp4": (lambda p: _write(p, ""), "empty file (0 bytes)"),
    "scan.png": (_still, "a still image (png), not a video"),
    "scan.jpg": (_still, "a still image (mjpeg), not a video"),
    "scan.tif": (_still, "a still image (tiff), not a video"),
    "tone.wav": (_sound, "sound only (pcm_s16le)"),
}


@pytest.mark.parametrize("name", CASES)
def test_library_refuses_with_input_error(tmp_path, name):
    make, message = CASES[name]
    path = make(tmp_path / name)
    for call in (probe, lambda p: next(iter(read_frames(p)))):
        with pytest.raises(InputError) as raised:
            call(path)
        assert str(raised.value) == f"{path}: {message}" or str(raised.value).startswith(f"{path}: {message}")


@pytest.mark.parametrize("command", ["info", "transcode", "scenes"])
@pytest.mark.parametrize("name", CASES)
def test_cli_says_one_line_and_exits_2(tmp_path, name, command):
    make, message = CASES[name]
    path = make(tmp_path / name)
    args = [command, str(path)] + (["-o", str(tmp_path / "out.mp4")] if command == "transcode" else [])
    result = CliRunner().invoke(cli, ["--quiet", *args])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"memovid: error: {lines[0][len('memovid: error: '):]}"] and message in lines[0]
    assert name in lines[0] and "Traceback" not in result.output
    assert not (tmp_path / "out.mp4").exists()
