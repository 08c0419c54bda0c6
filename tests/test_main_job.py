"""train -> colorize end to end on a tiny generated film: frames, timing, sound kept; bad model -> exit 2."""

import numpy as np
import pytest
from click.testing import CliRunner

from memovid.cli import cli
from memovid.video import probe, read_frames
from tests.mediagen import make_video, packet_bytes


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("job")
    colour = make_video(tmp / "colour.mp4", n=24, size=(96, 64), audio=True)
    model = tmp / "m.memo"
    result = CliRunner().invoke(cli, ["--quiet", "train", str(colour), "-m", str(model), "--steps", "3", "--size", "96"])
    assert result.exit_code == 0, result.output
    return tmp, colour, model


def test_colorize_keeps_frames_timestamps_and_audio(trained):
    tmp, colour, model = trained
    out = tmp / "out.mp4"
    result = CliRunner().invoke(cli, ["--quiet", "colorize", str(colour), "-m", str(model), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert probe(out, count_frames=True).frames == 24
    assert [f.pts for f in read_frames(out)] == [f.pts for f in read_frames(colour)]
    assert [d for _, d in packet_bytes(out, "audio")] == [d for _, d in packet_bytes(colour, "audio")]
    # The original lightness (Lab L) is kept; only colour is new (gamut clipping and H.264 aside).
    from memovid.color.lab import L_from_rgb8

    a = np.stack([L_from_rgb8(f.image) for f in read_frames(out)])
    b = np.stack([L_from_rgb8(f.image) for f in read_frames(colour)])
    assert np.abs(a - b).mean() < 3


def test_truncated_model_is_one_line_exit_2(trained, tmp_path):
    _, colour, model = trained
    bad = tmp_path / "bad.memo"
    bad.write_bytes(model.read_bytes()[:1000])
    result = CliRunner().invoke(cli, ["colorize", str(colour), "-m", str(bad), "-o", str(tmp_path / "o.mp4")])
    assert result.exit_code == 2
    assert result.output.strip().startswith("memovid: error:") and "bad.memo" in result.output
    assert not (tmp_path / "o.mp4").exists()
