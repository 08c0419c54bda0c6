"""The share of moved keyframe colour kept over the generator's guess, fitted on the film's own keyframes."""

import numpy as np
import pytest
from click.testing import CliRunner

from memovid.cli import cli
from memovid.paint.trust import FLOW_ONLY, PRIOR_PIXELS, TrustFit
from tests.mediagen import keyframed_film
from tests.test_main_job import _ab_error

RNG = np.random.default_rng(0)


def _case(reliability: float, moved_noise: float, guess_noise: float, n: int = 4000):
    """One left-out keyframe: every pixel at one reliability, independent errors of the given spread."""
    truth = RNG.uniform(-40, 40, (n, 1, 2))
    moved = truth + RNG.normal(0, moved_noise, truth.shape)
    guess = truth + RNG.normal(0, guess_noise, truth.shape)
    return np.full((n, 1), reliability), moved, guess, truth


class TestFit:
    def test_share_is_the_least_squares_mix_of_two_independent_errors(self):
        """With independent errors of spread s_m (moved) and s_g (guess) the best share of the moved
        colour is s_g^2 / (s_g^2 + s_m^2): 0.8 where the moved colour is half as wrong, 0.2 where twice."""
        fit = TrustFit()
        fit.add(*_case(0.15, moved_noise=5.0, guess_noise=10.0))
        fit.add(*_case(0.85, moved_noise=10.0, guess_noise=5.0))
        # fitted 0.8 and 0.2, but a more reliable flow never earns less trust: pooled to one level
        curve = fit.curve()
        assert curve.keyframes == 2
        assert curve(np.array([0.15, 0.85])) == pytest.approx([0.5, 0.5], abs=0.05)

    def test_fitted_shares_follow_the_measured_errors(self):
        fit = TrustFit()
        fit.add(*_case(0.15, moved_noise=10.0, guess_noise=5.0))   # moved worse: 0.2
        fit.add(*_case(0.85, moved_noise=2.0, guess_noise=6.0))    # moved better: 0.9
        curve = fit.curve()
        assert curve(np.array([0.15, 0.85])) == pytest.approx([0.2, 0.9], abs=0.05)
        assert curve(np.array([1.0]))[0] == 1.0  # a keyframe itself comes out as painted
        assert np.all(np.diff(curve(np.linspace(0, 1, 101))) >= 0)

    def test_a_bin_with_few_pixels_stays_near_the_reliability(self):
        fit = TrustFit()
        fit.add(*_case(0.85, moved_noise=1.0, guess_noise=10.0))
        fit.add(*_case(0.45, moved_noise=1.0, guess_noise=10.0, n=PRIOR_PIXELS // 50))
        curve = fit.curve()
        assert curve(np.array([0.45]))[0] == pytest.approx(0.45, abs=0.03)
        assert curve(np.array([0.85]))[0] > 0.95

    def test_nothing_measured_is_the_flow_reliability_itself(self):
        assert TrustFit().curve() is FLOW_ONLY
        r = np.linspace(0, 1, 11).reshape(1, -1)
        np.testing.assert_allclose(FLOW_ONLY(r), r, atol=1e-6)


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    """Keyframes every 6 frames of a 192x128 film; a model trained 2 steps: its guesses are poor."""
    tmp = tmp_path_factory.mktemp("trust")
    colour, keys, gray = keyframed_film(tmp, (192, 128), (0, 6, 12, 18))
    model = tmp / "m.memo"
    result = CliRunner().invoke(cli, ["--quiet", "train", str(keys), "-m", str(model), "--steps", "2", "--size", "128"])
    assert result.exit_code == 0, result.output
    return tmp, colour, gray, model


def _colorize(film, out, *extra, debug=False):
    tmp, _, gray, model = film
    result = CliRunner().invoke(cli, ["--debug"] * debug + ["colorize", str(gray), "-m", str(model), "-o", str(tmp / out),
                                      "--temporal", "off", "--codec", "ffv1", *extra])
    assert result.exit_code == 0, result.output
    return result


def test_fitted_trust_is_no_worse_than_the_flow_reliability_when_the_generator_is_weak(film):
    tmp, colour = film[0], film[1]
    said = "".join(_colorize(film, "fitted.mkv", debug=True).output.split())
    assert "fittedon4left-out" in said  # rich wraps lines and puts the source between them
    _colorize(film, "flow.mkv", "--trust", "flow")
    between = set(range(24)) - {0, 6, 12, 18}
    fitted, flow = _ab_error(tmp / "fitted.mkv", colour, between), _ab_error(tmp / "flow.mkv", colour, between)
    # The ImageNet-backbone generator follows its guide input even untrained, so the flow rule pays
    # less for it than the old U-Net's did (3.12 -> 2.16 here). With the 16-channel full-size layers
    # the two rules tie on this film (1.887 fitted vs 1.893 flow): the fit must not lose. Where it
    # wins on real footage is benchmarks/quality.py's "trust = flow reliability" row.
    assert fitted <= 1.01 * flow, (fitted, flow)


def test_an_unknown_trust_is_one_line_exit_2(film):
    tmp, _, gray, model = film
    result = CliRunner().invoke(cli, ["colorize", str(gray), "-m", str(model), "-o", str(tmp / "x.mkv"),
                                      "--trust", "sometimes"])
    assert result.exit_code == 2 and "sometimes" in result.output
