"""A colourist's keyframes reach the output at their own resolution, not the model's working size.

The model stores keyframes at working size (a .memo stays small); colorize reads the full-size
paintings from where train found them, or from ``--keyframes DIR``, checks each is the film's frame,
and moves its colour along the working-size flow scaled up.
"""

import shutil

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from memovid.cli import cli
from memovid.video import read_frames
from tests.mediagen import keyframed_film
from tests.test_main_job import _ab_error

KEYS = (0, 12)


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    """A 192x128 black-and-white film, and a model trained at working size 64 on two painted frames."""
    tmp = tmp_path_factory.mktemp("fullsize")
    colour, keys, gray = keyframed_film(tmp, (192, 128), KEYS)
    model = tmp / "m.memo"
    result = CliRunner().invoke(cli, ["--quiet", "train", str(keys), "-m", str(model), "--steps", "2", "--size", "64"])
    assert result.exit_code == 0, result.output
    return tmp, colour, gray, model, keys


def _colorize(gray, model, out, *extra):
    result = CliRunner().invoke(cli, ["colorize", str(gray), "-m", str(model), "-o", str(out),
                                      "--temporal", "off", "--codec", "ffv1", *extra])
    assert result.exit_code == 0, result.output
    return result


def test_full_size_keyframes_come_out_at_full_resolution(film):
    tmp, colour, gray, model, keys = film
    _colorize(gray, model, tmp / "full.mkv")  # the paintings are where train read them
    moved = tmp / "moved_keys"
    shutil.move(keys, moved)
    try:
        said = "".join(_colorize(gray, model, tmp / "small.mkv").output.split())  # gone: working size only
        assert "2keyframepaintingsnotfound" in said and "--keyframesDIR" in said  # the log wraps lines
        _colorize(gray, model, tmp / "given.mkv", "--keyframes", str(moved))  # found again by folder
    finally:
        shutil.move(moved, keys)
    full, small = _ab_error(tmp / "full.mkv", colour, set(KEYS)), _ab_error(tmp / "small.mkv", colour, set(KEYS))
    assert full < 0.2 * small, (full, small)  # the keyframes themselves: as painted (ffv1 is lossless)
    assert _ab_error(tmp / "full.mkv", colour) < 0.8 * _ab_error(tmp / "small.mkv", colour)
    given = [f.image for f in read_frames(tmp / "given.mkv")]
    assert all(np.array_equal(a, f.image) for a, f in zip(given, read_frames(tmp / "full.mkv")))


def test_a_painting_of_another_frame_is_not_used(film, tmp_path):
    """A file named for frame 0 that shows another picture: warned about, working size used instead."""
    tmp, colour, gray, model, keys = film
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    other = np.full((128, 192, 3), (200, 30, 30), np.uint8)
    cv2.imwrite(str(wrong / "frame_00000.png"), other)
    result = _colorize(gray, model, tmp_path / "out.mkv", "--keyframes", str(wrong))
    assert "is not the picture of keyframe 0" in result.output
    first = next(iter(read_frames(tmp_path / "out.mkv")))
    assert _ab_error(tmp_path / "out.mkv", colour, {0}) < 10  # the red never reached the output
    assert first.image[..., 0].mean() < 150


def test_a_missing_keyframe_folder_is_one_line_exit_2(film, tmp_path):
    tmp, _, gray, model, _ = film
    result = CliRunner().invoke(cli, ["colorize", str(gray), "-m", str(model), "-o", str(tmp_path / "o.mkv"),
                                      "--keyframes", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert result.output.strip().startswith("memovid: error:") and "nowhere" in result.output
    assert not (tmp_path / "o.mkv").exists()
