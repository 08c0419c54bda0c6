"""Shots no keyframe reaches: colour by luminance from the keyframes most like them."""

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from memovid.cli import cli
from memovid.color.lab import lab_to_rgb8
from memovid.paint.palette import LEVELS, SOFTNESS, Palette, PaletteBank, share, similarity_weights
from memovid.video import EncodeOptions, write_video
from memovid.video.frame import Frame
from tests.test_main_job import _ab_error

DARK, BRIGHT = (0.0, -40.0), (30.0, 60.0)  # night-blue shadows, orange lights


def _ab_of(L: np.ndarray) -> np.ndarray:
    """The film's colour is a function of its luminance: blue in the dark, orange in the light."""
    t = np.clip((L - 20.0) / 60.0, 0.0, 1.0)[..., None]
    return ((1 - t) * np.array(DARK) + t * np.array(BRIGHT)).astype(np.float32)


class TestPalette:
    def test_maps_each_luminance_to_its_colour(self):
        L = np.tile(np.linspace(0, 100, 200, dtype=np.float32), (50, 1))
        L8 = np.round(L * 2.55).astype(np.uint8)
        palette = Palette.of([(L8, _ab_of(L))])
        probe = np.array([[10.0, 50.0, 90.0]], np.float32)
        np.testing.assert_allclose(palette(probe), _ab_of(probe), atol=2.0)

    def test_a_level_no_keyframe_shows_is_filled_from_its_neighbours(self):
        L8 = np.array([[40] * 50 + [200] * 50], np.uint8)  # only two levels present
        ab = np.zeros((1, 100, 2), np.float32)
        ab[0, 50:] = (20.0, 40.0)
        palette = Palette.of([(L8, ab)])
        assert len(palette.levels) == 2
        middle = palette(np.array([[(40 + 200) / 2 / 2.55]], np.float32))[0, 0]
        np.testing.assert_allclose(middle, (10.0, 20.0), atol=1.0)  # halfway in between
        # the median is read from one-unit bins: a value is known to half a unit (far under a visible step)
        assert palette(np.array([[100.0]], np.float32))[0, 0].tolist() == pytest.approx([20.0, 40.0], abs=0.5)

    def test_pools_several_keyframes_by_weighted_median(self):
        L8 = np.full((4, 4), 128, np.uint8)
        ten, thirty = (L8, np.full((4, 4, 2), 10.0, np.float32)), (L8, np.full((4, 4, 2), 30.0, np.float32))
        probe = np.array([[50.0]], np.float32)
        assert palette_at(Palette.of([ten, thirty, thirty]), probe) == pytest.approx([30.0, 30.0], abs=1.0)
        assert palette_at(Palette.of([ten, thirty], weights=[3.0, 1.0]), probe) == pytest.approx([10.0, 10.0], abs=1.0)
        assert LEVELS >= 16

    def test_a_level_shared_by_a_gray_backdrop_and_a_coloured_object_stays_gray(self):
        """The median, not the mean: 70 % gray and 30 % saturated green at one luminance is gray,
        where a mean would paint the whole backdrop a green neither has."""
        L8 = np.full((10, 10), 128, np.uint8)
        ab = np.zeros((10, 10, 2), np.float32)
        ab[:3] = (-60.0, 50.0)
        got = palette_at(Palette.of([(L8, ab)]), np.array([[50.0]], np.float32))
        assert np.hypot(*got) < 1.0, got

    def test_similarity_weights_favour_the_nearest_and_can_leave_some_out(self):
        keys = np.array([[1.0, 0.0], [0.7, 0.7], [0.0, 1.0], [2.0, 0.1]])
        w = similarity_weights(np.array([1.0, 0.0]), keys)
        assert w.sum() == pytest.approx(1.0) and w[0] > w[3] > w[1] > w[2]
        # cosine 1 vs 0.707: exp(0.293 / SOFTNESS) times the weight
        assert w[0] / w[1] == pytest.approx(np.exp((1 - 0.7 / np.hypot(0.7, 0.7)) / SOFTNESS), rel=1e-3)
        left = similarity_weights(np.array([1.0, 0.0]), keys, exclude=(0,))
        assert left[0] == 0.0 and left[3] == left.max()


def palette_at(palette, probe):
    return palette(probe)[0, 0].tolist()


class TestShare:
    """The palette's share on a keyframe-less shot: 1 - (its held-out error) / (its disagreement with the generator)."""

    def _truth(self, seed=0):
        return np.random.default_rng(seed).normal(0, 20, (64, 64, 2)).astype(np.float32)

    def test_independent_errors_get_the_least_squares_share(self):
        rng = np.random.default_rng(1)
        truth = self._truth()
        palette = truth + rng.normal(0, 3.0, truth.shape)      # E_palette^2 = 2 * 9 per pixel
        guess = truth + rng.normal(0, 6.0, truth.shape)        # E_generator^2 = 2 * 36
        w = share(2 * 9.0, [(palette, guess)])
        assert w == pytest.approx(36 / (36 + 9), abs=0.03)
        mixed = w * palette + (1 - w) * guess
        for other in (0.5, 1.0):  # the share beats an even mix and the palette alone
            assert ((mixed - truth) ** 2).mean() < ((other * palette + (1 - other) * guess - truth) ** 2).mean()

    def test_a_generator_that_agrees_with_the_palette_keeps_its_colour(self):
        truth = self._truth()
        guess = truth + 1.0
        assert share(2 * 9.0, [(truth, guess)]) == 0.0

    def test_a_generator_far_off_gives_way(self):
        truth = self._truth()
        assert share(2 * 9.0, [(truth, truth + 40.0), (truth, truth + 40.0)]) > 0.99


class TestHeldOutError:
    def test_keyframes_of_one_colour_rule_predict_each_other(self):
        L = [np.tile(np.linspace(5, 95, 80, dtype=np.float32), (30, 1)) + shift for shift in (0.0, 2.0, 4.0)]
        frames = [(np.round(x * 2.55).astype(np.uint8), _ab_of(x)) for x in L]
        assert PaletteBank(frames, np.eye(3)).held_out_error([0, 1, 2]) < 2.0

    def test_keyframes_that_disagree_measure_it(self):
        L = np.tile(np.linspace(5, 95, 80, dtype=np.float32), (30, 1))
        L8 = np.round(L * 2.55).astype(np.uint8)
        frames = [(L8, _ab_of(L)), (L8, -_ab_of(L)), (L8, -_ab_of(L))]
        # Left out, the first is painted by the other two, which both say the opposite colour.
        error = PaletteBank(frames, np.eye(3)).held_out_error([0])
        assert error == pytest.approx(((2 * _ab_of(L)) ** 2).sum(-1).mean(), rel=0.05)

    def test_the_keyframe_most_like_the_left_out_one_speaks_for_it(self):
        L = np.tile(np.linspace(5, 95, 80, dtype=np.float32), (30, 1))
        L8 = np.round(L * 2.55).astype(np.uint8)
        frames = [(L8, _ab_of(L)), (L8, _ab_of(L)), (L8, -_ab_of(L))]
        keys = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0]])  # 0 looks like 1, not like 2
        assert PaletteBank(frames, keys).held_out_error([0]) < 2.0


@pytest.fixture(scope="module")
def two_shots(tmp_path_factory):
    """A film of two shots of different pictures, coloured by the same luminance rule; keyframes
    painted in shot 1 only; a model trained 2 steps on them."""
    tmp = tmp_path_factory.mktemp("palette")
    rng = np.random.default_rng(0)
    pictures = [cv2.GaussianBlur(rng.uniform(0, 100, (96, 128)).astype(np.float32), (0, 0), s) for s in (3.0, 6.0)]
    pictures = [cv2.normalize(p, None, 5, 95, cv2.NORM_MINMAX) for p in pictures]
    colour, gray = [], []
    for i in range(24):
        L = np.roll(pictures[i // 12], i % 12, axis=1)  # a slow pan inside each shot
        lab = np.concatenate([L[..., None], _ab_of(L)], axis=2)
        colour.append(lab_to_rgb8(lab))
        gray.append(np.repeat(cv2.cvtColor(colour[-1], cv2.COLOR_RGB2GRAY)[..., None], 3, 2))
    lossless = EncodeOptions(codec="ffv1")
    write_video((Frame(f, i) for i, f in enumerate(colour)), tmp / "colour.mkv", fps=24, options=lossless)
    write_video((Frame(f, i) for i, f in enumerate(gray)), tmp / "bw.mkv", fps=24, options=lossless)
    keys = tmp / "keys"
    keys.mkdir()
    for i in (0, 6):
        cv2.imwrite(str(keys / f"frame_{i:05d}.png"), cv2.cvtColor(colour[i], cv2.COLOR_RGB2BGR))
    scenes = tmp / "scenes.json"
    result = CliRunner().invoke(cli, ["--quiet", "scenes", str(tmp / "bw.mkv"), "--format", "json", "-o", str(scenes)])
    assert result.exit_code == 0, result.output
    model = tmp / "m.memo"
    result = CliRunner().invoke(cli, ["--quiet", "train", str(keys), "-m", str(model), "--steps", "2", "--size", "128",
                                      "--scenes", str(scenes)])
    assert result.exit_code == 0, result.output
    return tmp, scenes, model


def _colorize(two_shots, out, *extra):
    tmp, scenes, model = two_shots
    result = CliRunner().invoke(cli, ["--debug", "colorize", str(tmp / "bw.mkv"), "-m", str(model), "-o", str(tmp / out),
                                      "--scenes", str(scenes), "--temporal", "off", "--codec", "ffv1", *extra])
    assert result.exit_code == 0, result.output
    return "".join(result.output.split())


def test_a_shot_without_keyframes_takes_colour_from_the_palette(two_shots):
    tmp = two_shots[0]
    said = _colorize(two_shots, "palette.mkv")
    assert "1shotswithoutkeyframes" in said
    _colorize(two_shots, "generator.mkv", "--no-palette")
    second = set(range(12, 24))
    with_palette = _ab_error(tmp / "palette.mkv", tmp / "colour.mkv", second)
    without = _ab_error(tmp / "generator.mkv", tmp / "colour.mkv", second)
    assert with_palette < 0.7 * without, (with_palette, without)
    first = set(range(12))  # the shot with keyframes is not touched
    assert _ab_error(tmp / "palette.mkv", tmp / "colour.mkv", first) == _ab_error(tmp / "generator.mkv", tmp / "colour.mkv", first)


def test_a_shots_share_is_decided_once_and_kept():
    from types import SimpleNamespace

    from memovid.paint.mix import layer
    from memovid.paint.sources import Palettes

    L = np.tile(np.linspace(5, 95, 40, dtype=np.float32), (20, 1))
    palette = Palette.of([(np.round(L * 2.55).astype(np.uint8), _ab_of(L))])
    shares = Palettes({1: palette}, held_out=2 * 9.0)
    frame = lambda shot, guide=None, fading=False: SimpleNamespace(  # noqa: E731
        shot=shot, guide=guide, semantic=None, L_small=L, in_transition=fading)

    def apply(batch, ab):
        return np.stack([layer(a, c) for a, c in zip(ab, shares.colours(batch, ab))])

    far = np.stack([_ab_of(L) + 30.0] * 2)                 # the generator far off on shot 1's first batch
    first = apply([frame(0, guide=object()), frame(1)], far)
    np.testing.assert_array_equal(first[0], far[0])        # a guided frame is left alone
    assert shares.share > 0.9
    kept = shares.share
    near = np.stack([_ab_of(L) + 1.0] * 2)                 # ... and close on the next: the share stays
    apply([frame(1), frame(1)], near)
    assert shares.share == kept
    apply([frame(2)], near[:1])                            # shot 2 has no palette: nothing decided
    assert shares.share == kept
    # A shot that fades in: its dark first frames do not decide; the first frame past the fade does.
    shares.palettes[3] = palette
    apply([frame(3, fading=True), frame(3, fading=True)], near)
    assert shares.share == 0.0 and not shares.settled
    apply([frame(3, fading=True), frame(3)], far)
    assert shares.settled and shares.share > 0.9
