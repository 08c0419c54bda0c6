"""Optical flow on luminance: known shifts, reliability at occlusions, warping."""

import cv2
import numpy as np
import pytest

from memovid.errors import InputError
from memovid.color.levels import L_to_L8
from memovid.motion.flow import (FlowConfig, flow, flow_with_reliability, grow_flow, still_reliability, warp,
                                 warp_up, working_size)


def _texture(h: int, w: int, seed: int, sigma: float = 1.5) -> np.ndarray:
    """(h, w) float32 smooth random texture spanning [20, 235]."""
    noise = np.random.default_rng(seed).uniform(0, 255, (h, w)).astype(np.float32)
    return cv2.normalize(cv2.GaussianBlur(noise, (0, 0), sigma), None, 20, 235, cv2.NORM_MINMAX)


def _shifted_pair(h: int, w: int, dx: float, dy: float) -> tuple[np.ndarray, np.ndarray]:
    """a, b (uint8) where b is a moved by (dx, dy): a(x) = b(x + d), so flow(a, b) = d."""
    big = _texture(h + 40, w + 40, seed=0)
    moved = cv2.warpAffine(big, np.float32([[1, 0, dx], [0, 1, dy]]), big.shape[::-1], borderMode=cv2.BORDER_REFLECT)
    return big[20:-20, 20:-20].astype(np.uint8), moved[20:-20, 20:-20].astype(np.uint8)


class TestFlow:
    @pytest.mark.parametrize("config", [FlowConfig(), FlowConfig(max_side=120), FlowConfig(preset="fast"),
                                        FlowConfig(refinement=None), FlowConfig(refinement=0)])
    def test_recovers_a_known_subpixel_translation(self, config):
        a, b = _shifted_pair(160, 240, 3.0, -2.0)
        f = flow(a, b, config)
        assert f.shape == (160, 240, 2) and f.dtype == np.float32
        interior = f[16:-16, 16:-16]
        assert np.abs(np.median(interior, axis=(0, 1)) - [3.0, -2.0]).max() < 0.5
        assert np.abs(interior - [3.0, -2.0]).mean() < 0.5

    def test_refinement_sets_dis_iterations_and_keeps_pairs_apart(self):
        """The refinement count reaches DIS (the fields differ), None leaves the preset's 5, and the
        shared cache never hands one setting's field to another."""
        from memovid.motion.flow import FlowCache

        a, b = _shifted_pair(96, 128, 2.3, -1.7)
        two, five, preset = (flow(a, b, FlowConfig(refinement=r)) for r in (2, 5, None))
        assert np.abs(two - five).max() > 1e-3
        np.testing.assert_array_equal(five, preset)
        assert FlowCache.key(a, b, FlowConfig()) != FlowCache.key(a, b, FlowConfig(refinement=5))
        with pytest.raises(InputError, match="refinement"):
            FlowConfig(refinement=-1)
        with pytest.raises(InputError, match="refinement"):
            FlowConfig(refinement=2.5)

    def test_flow_is_scaled_back_from_the_working_size(self):
        config = FlowConfig(max_side=100)
        assert working_size((200, 400), config) == (50, 100)
        a, b = _shifted_pair(200, 400, 8.0, 4.0)
        assert np.abs(np.median(flow(a, b, config)[20:-20, 20:-20], axis=(0, 1)) - [8.0, 4.0]).max() < 0.5

    def test_reliability_is_low_where_the_motion_uncovers_the_border(self):
        a, b = _shifted_pair(120, 160, 4.0, 0.0)
        _, conf = flow_with_reliability(a, b)
        assert conf.shape == (120, 160) and 0.0 <= conf.min() and conf.max() <= 1.0
        assert conf[10:-10, 10:-10].mean() > 0.9
        # a's last 4 columns come from outside b: nothing there to match
        assert conf[:, -3:].mean() < 0.2

    def test_reliability_is_low_in_the_strip_an_object_uncovers(self):
        bg = _texture(96, 128, seed=1)
        obj = _texture(30, 30, seed=2, sigma=1.0)

        def frame(x0: int) -> np.ndarray:
            L = bg.copy()
            L[30:60, x0 : x0 + 30] = obj
            return L.astype(np.uint8)

        prev, cur = frame(40), frame(46)
        f, conf = flow_with_reliability(cur, prev)
        assert np.abs(np.median(f[33:57, 50:72], axis=(0, 1)) - [-6.0, 0.0]).max() < 0.5
        disoccluded = conf[32:58, 40:46]  # background in cur that the object covered in prev
        assert disoccluded.mean() < 0.4
        assert conf[5:25].mean() > 0.95  # still background
        assert conf[33:57, 50:72].mean() > 0.9  # the moving object itself


class TestStillConfidence:
    def test_high_on_a_grainy_still_picture_low_on_a_pan(self):
        a = _texture(96, 128, seed=4).astype(np.uint8)
        grainy = np.clip(a + np.random.default_rng(5).normal(0, 3, a.shape), 0, 255).astype(np.uint8)
        assert still_reliability(grainy, a, flow(grainy, a))[8:-8, 8:-8].mean() > 0.9
        a, b = _shifted_pair(96, 128, 3.0, 0.0)
        assert still_reliability(a, b, flow(a, b)).mean() < 0.05

    def test_the_moving_part_of_a_picture_is_not_still(self):
        bg = _texture(96, 128, seed=1)
        obj = _texture(30, 30, seed=2, sigma=1.0)
        a, b = bg.copy(), bg.copy()
        a[30:60, 46:76], b[30:60, 40:70] = obj, obj
        a, b = a.astype(np.uint8), b.astype(np.uint8)
        conf = still_reliability(a, b, flow(a, b))
        assert conf[5:25].mean() > 0.9 and conf[34:56, 50:72].mean() < 0.1


class TestWarp:
    def test_integer_shift_is_exact_and_borders_replicate(self):
        img = np.arange(20 * 30, dtype=np.float32).reshape(20, 30)
        f = np.zeros((20, 30, 2), np.float32)
        f[..., 0] = 2.0
        out = warp(img, f)
        np.testing.assert_array_equal(out[:, :-2], img[:, 2:])
        np.testing.assert_array_equal(out[:, -1], img[:, -1])

    def test_keeps_shape_and_dtype_for_many_channels(self):
        img = np.random.default_rng(0).normal(size=(12, 16, 6)).astype(np.float32)
        f = np.full((12, 16, 2), 0.5, np.float32)
        out = warp(img, f)
        assert out.shape == img.shape and out.dtype == img.dtype
        np.testing.assert_allclose(out[..., 5], warp(img[..., 5], f))

    @pytest.mark.parametrize("full, small", [((405, 720), (180, 320)), ((96, 128), (24, 32))])
    def test_warp_up_is_warp_along_the_grown_field(self, full, small):
        """Full-size colour moved along a working-size field: the same as growing the field first,
        border columns and rows included (there a plain stretch of the map would be off by ~1.5 px:
        on a ramp of one level per pixel, 1.5 levels)."""
        rng = np.random.default_rng(3)
        (H, W), (h, w) = full, small
        ramp = np.broadcast_to(np.arange(W, dtype=np.float32), (H, W))
        img = np.stack([ramp, ramp.T[:H, :W] if H >= W else np.broadcast_to(np.arange(H, dtype=np.float32)[:, None], (H, W))], 2)
        img = np.ascontiguousarray(img + cv2.GaussianBlur(rng.normal(0, 5, (H, W, 2)).astype(np.float32), (0, 0), 4))
        f = cv2.GaussianBlur(rng.normal(0, 3, (h, w, 2)).astype(np.float32), (0, 0), 4) * 4
        expected = warp(img, grow_flow(f, (H, W), (W / w, H / h)))
        got = warp_up(img, f)
        assert got.shape == img.shape and got.dtype == np.float32
        err = np.abs(got - expected)
        assert err.mean() < 1e-3, err.mean()
        assert err.max() < 0.1, err.max()  # remap's 1/32-pixel steps on a gradient of ~1 level per pixel
        np.testing.assert_array_equal(warp_up(img, np.zeros((H, W, 2), np.float32)), img)  # same size: a plain warp

    def test_rejects_mismatched_shapes(self):
        with pytest.raises(InputError, match=r"\(5, 5, 2\)"):
            warp(np.zeros((4, 4), np.float32), np.zeros((5, 5, 2), np.float32))


class TestInputs:
    def test_L_to_L8_maps_0_100_onto_0_255(self):
        np.testing.assert_array_equal(L_to_L8(np.array([[-5.0, 0.0, 50.0, 100.0, 120.0]])), [[0, 0, 128, 255, 255]])

    def test_flow_wants_uint8_luminance_of_one_size(self):
        with pytest.raises(InputError, match="uint8"):
            flow(np.zeros((8, 8), np.float32), np.zeros((8, 8), np.float32))
        with pytest.raises(InputError, match=r"\(8, 8\) and \(8, 9\)"):
            flow(np.zeros((8, 8), np.uint8), np.zeros((8, 9), np.uint8))

    def test_config_is_checked(self):
        with pytest.raises(InputError, match="preset"):
            FlowConfig(preset="slow")
        with pytest.raises(InputError, match="max_side"):
            FlowConfig(max_side=4)
