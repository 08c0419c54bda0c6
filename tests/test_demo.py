"""memovid demo end to end on a small cartoon: every file written, colours better than gray, no overwrite."""

import json

import pytest
from click.testing import CliRunner

from memovid.cli import cli
from memovid.demo.run import run_demo
from memovid.errors import OutputError
from memovid.report.metrics import evaluate
from memovid.demo.synth import CartoonSpec
from memovid.video import probe

SMALL = CartoonSpec(width=96, height=64, scenes=2, shot_frames=(14, 10, 14), fade_frames=4)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    return run_demo(folder, steps=2, spec=SMALL)


def test_demo_writes_every_file_and_beats_gray(demo):
    files = {k: __import__("pathlib").Path(v) for k, v in demo.files.items()}
    assert all(p.exists() for p in files.values())
    frames = probe(files["original.mp4"], count_frames=True).frames
    for name in ("bw.mp4", "colour.mp4"):
        assert probe(files[name], count_frames=True).frames == frames
    side = probe(files["side_by_side.mp4"])
    assert (side.width, side.height) == (3 * SMALL.width, SMALL.height)
    assert demo.scenes == 2
    assert len(list(files["keyframes"].glob("frame_*.png"))) >= 4
    assert json.loads(files["eval.json"].read_text())["ciede2000"] == pytest.approx(demo.figures["ciede2000"])
    # Two training steps teach the generator nothing; the painted keyframes, carried along the motion,
    # must still give clearly better colour than none at all.
    gray = evaluate(files["bw.mp4"], files["original.mp4"]).to_dict()["ciede2000"]
    assert demo.figures["ciede2000"] < 0.8 * gray
    assert '<section class="scene' in files["report.html"].read_text()


def test_demo_never_overwrites_a_previous_demo(demo):
    with pytest.raises(OutputError):
        run_demo(demo.folder, steps=1, spec=SMALL)
    result = CliRunner().invoke(cli, ["demo", "-o", str(demo.folder)])
    assert result.exit_code == 2 and "already holds a demo" in result.output
