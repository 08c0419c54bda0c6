"""Temporal chroma smoothing: steadier colour within a shot, clean cuts, nothing through a fade."""

import cv2
import numpy as np
import pytest

from memovid.errors import InputError
from memovid.temporal import SMOOTHERS, Smoother, TemporalConfig, make_smoother

H, W = 96, 128
BG_AB = (-10.0, 20.0)
OBJ_AB = (45.0, 30.0)


def _texture(h: int, w: int, seed: int, lo: float, hi: float) -> np.ndarray:
    noise = np.random.default_rng(seed).uniform(0, 1, (h, w)).astype(np.float32)
    return cv2.normalize(cv2.GaussianBlur(noise, (0, 0), 1.5), None, lo, hi, cv2.NORM_MINMAX)


BG_L = _texture(H, W, seed=0, lo=20, hi=80)  # (H, W), L in [0, 100]
OBJ_L = _texture(24, 24, seed=1, lo=40, hi=100)


def scene(t: int, speed: int = 3, obj_ab=OBJ_AB) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frame t of a textured square moving right over a still textured background.

    Returns L (H, W) in [0, 100], true ab (H, W, 2) in Lab units, object mask (H, W) bool.
    """
    L = BG_L.copy()
    ab = np.empty((H, W, 2), np.float32)
    ab[...] = BG_AB
    mask = np.zeros((H, W), bool)
    mask[36:60, 10 + speed * t : 34 + speed * t] = True
    L[mask] = OBJ_L.ravel()
    ab[mask] = obj_ab
    return L, ab, mask


def jitter(ab: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A per-frame colorizer's flicker: a global shift of the whole frame plus pixel noise (Lab units)."""
    shift = rng.normal(0, 3.0, (1, 1, 2))
    return (ab + shift + rng.normal(0, 1.5, ab.shape)).astype(np.float32)


def run_shot(smoother: Smoother, frames: int = 20, seed: int = 1):
    """Feeds a jittered shot; returns (outputs, inputs, truths, masks) lists."""
    rng = np.random.default_rng(seed)
    outs, ins, truths, masks = [], [], [], []
    for t in range(frames):
        L, ab, mask = scene(t)
        noisy = jitter(ab, rng)
        outs.append(smoother.process(L, noisy, shot_start=t == 0))
        ins.append(noisy)
        truths.append(ab)
        masks.append(mask)
    return outs, ins, truths, masks


def flicker(seq: list[np.ndarray], where: list[np.ndarray] | None = None) -> float:
    """Mean |ab_t - ab_t-1| over the sequence, optionally only where ``where`` holds in both frames."""
    diffs = [np.abs(b - a) for a, b in zip(seq, seq[1:])]
    if where is not None:
        diffs = [d[m0 & m1] for d, m0, m1 in zip(diffs, where, where[1:])]
    return float(np.mean([d.mean() for d in diffs]))


@pytest.mark.parametrize("mode", sorted(SMOOTHERS))
class TestEverySmoother:
    def test_keeps_shape_dtype_and_first_frame(self, mode):
        smoother = make_smoother(TemporalConfig(mode=mode))
        L, ab, _ = scene(0)
        out = smoother.process(L, ab, shot_start=True)
        assert out.shape == (H, W, 2) and out.dtype == np.float32
        np.testing.assert_array_equal(out, ab)

    def test_hard_cut_switches_colour_within_one_frame(self, mode):
        # Worst case for a smoother: after the cut the picture is the same, only its colour differs,
        # so the flow is perfect and anything carried would show.
        smoother = make_smoother(TemporalConfig(mode=mode, strength=0.9))
        for t in range(5):
            L, ab, _ = scene(0)
            smoother.process(L, ab, shot_start=t == 0)
        L, _, mask = scene(0)
        new_ab = np.full((H, W, 2), (-30.0, -40.0), np.float32)
        np.testing.assert_array_equal(smoother.process(L, new_ab, shot_start=True), new_ab)

    def test_fade_takes_no_colour_from_the_other_shot(self, mode):
        smoother = make_smoother(TemporalConfig(mode=mode, strength=0.9))
        L, ab_a, _ = scene(0)
        ab_b = np.full_like(ab_a, (-30.0, -40.0))
        for t in range(5):
            smoother.process(L, ab_a, shot_start=t == 0)
        for k in range(1, 6):  # dissolve from A to B, flagged as a transition
            mix = (1 - k / 6) * ab_a + k / 6 * ab_b
            np.testing.assert_array_equal(smoother.process(L, mix, shot_start=False, in_transition=True), mix)
        # Even if the splitter flags no shot start after the fade, nothing of A or the fade comes back.
        for _ in range(3):
            np.testing.assert_array_equal(smoother.process(L, ab_b, shot_start=False), ab_b)

    def test_rejects_mismatched_shapes_with_the_shape_in_the_message(self, mode):
        smoother = make_smoother(TemporalConfig(mode=mode))
        with pytest.raises(InputError, match=r"\(96, 128, 3\)"):
            smoother.process(BG_L, np.zeros((H, W, 3), np.float32), shot_start=True)


class TestFlowSmoother:
    def test_moving_object_keeps_its_colour_and_jitter_drops(self):
        outs, ins, truths, masks = run_shot(make_smoother(TemporalConfig(mode="flow")))
        obj_err = [np.abs(o - t)[m].mean() for o, t, m in zip(outs, truths, masks)]
        raw_err = [np.abs(i - t)[m].mean() for i, t, m in zip(ins, truths, masks)]
        assert max(obj_err[3:]) < 3.0
        assert np.mean(obj_err[3:]) < 0.8 * np.mean(raw_err[3:])
        # Flicker of the whole frame and of the moving object alone drop at least 2x.
        assert flicker(outs) < 0.5 * flicker(ins)
        assert flicker(outs, masks) < 0.5 * flicker(ins, masks)

    def test_a_real_colour_change_mid_shot_passes_within_one_frame(self):
        smoother = make_smoother(TemporalConfig(mode="flow", strength=0.9))
        for t in range(6):
            L, ab, _ = scene(t)
            smoother.process(L, ab, shot_start=t == 0)
        L, ab, mask = scene(6, obj_ab=(-30.0, -40.0))  # the object changes colour (a light turns on)
        out = smoother.process(L, ab, shot_start=False)
        inner = mask & np.roll(mask, 3, axis=1) & np.roll(mask, -3, axis=1)  # away from the edges
        assert np.abs(out - ab)[inner].mean() < 1.5

    def test_longer_look_back_also_smooths(self):
        outs, ins, truths, masks = run_shot(make_smoother(TemporalConfig(mode="flow", look_back=2)), frames=12)
        assert flicker(outs) < 0.5 * flicker(ins)
        assert max(np.abs(o - t)[m].mean() for o, t, m in zip(outs[3:], truths[3:], masks[3:])) < 3.0


class TestEmaAndOff:
    def test_off_returns_the_prediction_unchanged(self):
        outs, ins, _, _ = run_shot(make_smoother(TemporalConfig(mode="off")), frames=6)
        for o, i in zip(outs, ins):
            np.testing.assert_array_equal(o, i)

    def test_ema_smooths_still_areas(self):
        outs, ins, _, masks = run_shot(make_smoother(TemporalConfig(mode="ema")))
        still = [~cv2.dilate(m.astype(np.uint8), np.ones((9, 31), np.uint8)).astype(bool) for m in masks]
        assert flicker(outs, still) < 0.5 * flicker(ins, still)

    def test_ema_does_not_smear_where_the_luminance_changed(self):
        # chroma_tol huge: only the luminance gate stands between the background and the object's
        # leading edge, which was background in the previous frame.
        config = TemporalConfig(mode="ema", strength=0.9, chroma_tol=1e6)
        outs, ins, truths, masks = run_shot(make_smoother(config))
        edge_err = [np.abs(o - t)[m1 & ~m0].mean() for o, t, m0, m1 in zip(outs[1:], truths[1:], masks, masks[1:])]
        raw_err = [np.abs(i - t)[m1 & ~m0].mean() for i, t, m0, m1 in zip(ins[1:], truths[1:], masks, masks[1:])]
        assert np.mean(edge_err) < 1.2 * np.mean(raw_err)  # a smear would be ~0.9 x 55 Lab units

    def test_flow_beats_ema_on_the_moving_object(self):
        ema, ins, _, masks = run_shot(make_smoother(TemporalConfig(mode="ema")))
        flow, _, _, _ = run_shot(make_smoother(TemporalConfig(mode="flow")))
        assert flicker(flow, masks) < 0.6 * flicker(ema, masks)


class TestConfig:
    def test_unknown_mode_is_an_input_error(self):
        with pytest.raises(InputError, match="'median'"):
            make_smoother(TemporalConfig(mode="median"))

    @pytest.mark.parametrize("kwargs", [{"strength": 1.0}, {"chroma_tol": 0.0}, {"look_back": 0}])
    def test_bounds_are_checked(self, kwargs):
        with pytest.raises(InputError):
            TemporalConfig(**kwargs)
