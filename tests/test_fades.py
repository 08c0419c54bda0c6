"""Chroma dims with the light in fades: no scene colour on a black frame, no jump in the dark."""

import numpy as np
import pytest
from click.testing import CliRunner

from memovid.paint.fades import fade_gains
from memovid.scenes.table import Transition


def test_gains_follow_the_light_through_fade_out_black_and_fade_in():
    luma = np.full(40, 60.0)
    luma[10:15] = [48, 36, 24, 12, 3]   # fade out over 10..14
    luma[15:17] = 0.0                   # black
    luma[17:22] = [6, 15, 30, 45, 54]   # fade in over 17..21 to a darker shot (L 54 after it)
    luma[22:] = 54.0
    gains = fade_gains([Transition(10, 15, "fade_out"), Transition(17, 22, "fade_in"), Transition(30, 30, "cut")], luma)
    assert sorted(gains) == list(range(10, 22))  # the black between the fades counts as the fade out's
    assert gains[10] == pytest.approx(0.8) and gains[14] == pytest.approx(0.05)
    assert gains[15] == gains[16] == 0.0
    assert gains[17] == pytest.approx(6 / 54) and gains[21] == pytest.approx(1.0)


def test_no_gain_without_a_lit_reference_or_for_other_transitions():
    dark = np.zeros(30)
    assert fade_gains([Transition(10, 15, "fade_out")], dark) == {}
    assert fade_gains([Transition(0, 5, "fade_in")], np.full(5, 50.0)) == {}  # nothing after it
    assert fade_gains([Transition(10, 15, "dissolve")], np.full(30, 50.0)) == {}


def test_colorize_puts_no_colour_on_the_black_bottom_of_a_fade(tmp_path):
    """A cartoon of two scenes joined by a fade through (near) black, coloured from its own keyframes:
    the darkest frame's chroma falls with its light, as a colour film's fade would (without the fade
    gains it keeps its scene's full colour and this fails)."""
    import itertools

    from memovid.cli import cli
    from memovid.color.lab import rgb8_to_lab
    from memovid.demo.synth import CartoonSpec, cartoon_frames
    from memovid.video import read_frames
    from tests.mediagen import keyframed_film

    spec = CartoonSpec(width=96, height=64, scenes=2, shot_frames=(16,), fade_frames=6)
    frames = list(itertools.islice(cartoon_frames(spec), 200))
    _, keys, gray = keyframed_film(tmp_path, (96, 64), (0, 8, len(frames) - 8), frames=frames)
    model = tmp_path / "m.memo"
    assert CliRunner().invoke(cli, ["--quiet", "train", str(keys), "-m", str(model), "--steps", "2",
                                    "--size", "96"]).exit_code == 0
    out = tmp_path / "out.mkv"
    result = CliRunner().invoke(cli, ["--quiet", "colorize", str(gray), "-m", str(model), "-o", str(out), "--codec", "ffv1"])
    assert result.exit_code == 0, result.output
    luma = np.array([f.image.mean() for f in read_frames(gray, mode="gray")])
    darkest = int(np.argmin(luma))
    assert luma[darkest] < 0.2 * np.median(luma)  # the film really fades (nearly) to black
    chroma = [np.abs(rgb8_to_lab(f.image)[..., 1:]).mean() for f in read_frames(out)]
    assert chroma[darkest] < 0.3 * np.median(chroma)
