"""sRGB <-> Lab: known values, round trips, skimage agreement, numpy frame helpers vs torch."""

import numpy as np
import pytest
import torch
from skimage import color as skcolor
from skimage.color import colorconv

from memovid.color.lab import (
    rgb8_to_L,
    lab_to_rgb,
    lab_to_rgb8,
    luma_to_L,
    rgb8_to_lab,
    rgb_to_lab,
)

OUR_WHITE = (0.950456, 1.0, 1.088754)  # the sRGB matrix's row sums, see memovid.color.lab


def _hwc(x: torch.Tensor) -> np.ndarray:
    return x.movedim(-3, -1).detach().numpy()


def _rand_rgb(shape, seed=0, dtype=torch.float64):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


class TestTorchLab:
    def test_known_values(self):
        rgb = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.5, 0.5, 0.5]])
        lab = rgb_to_lab(rgb.T.reshape(3, 1, 4)).reshape(3, 4).T
        assert lab[0].tolist() == pytest.approx([100.0, 0.0, 0.0], abs=1e-4)
        assert lab[1].tolist() == pytest.approx([53.24, 80.09, 67.20], abs=0.05)
        assert lab[2].tolist() == pytest.approx([0.0, 0.0, 0.0], abs=1e-6)
        # every grey is neutral: a = b = 0
        assert lab[3, 1:].abs().max() < 1e-4
        assert lab[3, 0].item() == pytest.approx(53.389, abs=0.01)

    def test_round_trip(self):
        rgb = _rand_rgb((2, 3, 3, 17, 19), dtype=torch.float32)
        back = lab_to_rgb(rgb_to_lab(rgb))
        assert back.shape == rgb.shape
        assert (back - rgb).abs().max() < 1e-4

    def test_matches_skimage_formula_with_same_white(self, monkeypatch):
        # With skimage's D65 white swapped for ours, the two implementations agree to rounding.
        monkeypatch.setitem(colorconv._illuminants["D65"], "2", OUR_WHITE)
        rgb = _rand_rgb((3, 24, 32), seed=1)
        ours = _hwc(rgb_to_lab(rgb))
        ref = skcolor.rgb2lab(_hwc(rgb))
        assert np.abs(ours - ref).max() < 1e-3
        assert np.abs(_hwc(lab_to_rgb(torch.from_numpy(ref).movedim(-1, -3))) - _hwc(rgb)).max() < 1e-6

    def test_matches_stock_skimage(self):
        # Stock skimage differs through its tabulated white (a/b within 0.005) and its rounded
        # constants of the near-black straight line (L within 1e-4).
        rgb = _rand_rgb((3, 24, 32), seed=2)
        diff = np.abs(_hwc(rgb_to_lab(rgb)) - skcolor.rgb2lab(_hwc(rgb)))
        assert diff[..., 0].max() < 1e-4
        assert diff[..., 1:].max() < 5e-3

    def test_dtypes_and_batch(self):
        rgb = _rand_rgb((4, 3, 8, 8), seed=3, dtype=torch.float32)
        lab32 = rgb_to_lab(rgb)
        assert lab32.dtype == torch.float32
        assert rgb_to_lab(rgb.double()).dtype == torch.float64
        lab16 = rgb_to_lab(rgb.half())
        assert lab16.dtype == torch.float32  # upcast: L up to 100 needs more than half precision
        assert (lab16 - lab32).abs().max() < 0.1
        assert lab_to_rgb(lab32.half()).dtype == torch.float32
        # batched == one by one
        assert torch.allclose(lab32[2], rgb_to_lab(rgb[2]))

    def test_ranges(self):
        # corners of the RGB cube span the documented Lab ranges
        corners = torch.tensor(
            [[r, g, b] for r in (0.0, 1.0) for g in (0.0, 1.0) for b in (0.0, 1.0)]
        ).T.reshape(3, 1, 8)
        lab = rgb_to_lab(corners)
        assert lab[0].min() >= 0 and lab[0].max() <= 100.0 + 1e-4
        assert lab[1:].abs().max() < 110

    def test_gradients_are_finite(self):
        rgb = torch.tensor([0.0, 0.02, 0.5, 1.0]).repeat(3, 1).reshape(3, 2, 2).requires_grad_()
        rgb_to_lab(rgb).sum().backward()
        assert torch.isfinite(rgb.grad).all()
        lab = torch.tensor([[0.0, 50.0], [0.0, 120.0], [0.0, -120.0]]).reshape(3, 1, 2).requires_grad_()
        lab_to_rgb(lab).sum().backward()
        assert torch.isfinite(lab.grad).all()

    def test_lab_to_rgb_clamps(self):
        lab = torch.tensor([[50.0, 60.0, 110.0], [120.0, -120.0, 120.0], [-5.0, -120.0, 100.0]]).reshape(3, 1, 3)
        rgb = lab_to_rgb(lab)
        assert rgb.min() >= 0 and rgb.max() <= 1

    @pytest.mark.parametrize("shape", [(3,), (4, 4), (2, 4, 4), (4, 4, 3)])
    def test_bad_shape_names_it(self, shape):
        with pytest.raises(ValueError, match=r"\(\.\.\., 3, H, W\).*" + str(shape[0])):
            rgb_to_lab(torch.zeros(shape))
        with pytest.raises(ValueError, match="3, H, W"):
            lab_to_rgb(torch.zeros(shape))

    def test_integer_tensor_rejected(self):
        with pytest.raises(ValueError, match="floating-point"):
            rgb_to_lab(torch.zeros(3, 2, 2, dtype=torch.uint8))


class TestNumpyFrames:
    img = np.random.default_rng(4).integers(0, 256, (37, 53, 3), dtype=np.uint8)

    def test_rgb8_to_lab_matches_torch(self):
        lab = rgb8_to_lab(self.img)
        assert lab.dtype == np.float32 and lab.shape == self.img.shape
        ref = _hwc(rgb_to_lab(torch.from_numpy(self.img).movedim(-1, -3).double() / 255.0))
        assert np.abs(lab - ref).max() < 2e-4

    def test_every_level_and_grey(self):
        levels = np.arange(256, dtype=np.uint8)
        img = np.stack([*np.meshgrid(levels, levels, indexing="ij"), levels[::-1, None].repeat(256, 1)], -1)
        ref = _hwc(rgb_to_lab(torch.from_numpy(img).movedim(-1, -3).double() / 255.0))
        assert np.abs(rgb8_to_lab(img) - ref).max() < 2e-4
        greys = np.repeat(levels[None, :, None], 3, axis=2)
        lab = rgb8_to_lab(greys)
        assert np.abs(lab[..., 1:]).max() < 1e-4
        assert np.abs(luma_to_L(levels[None]) - lab[..., 0]).max() < 1e-4
        assert luma_to_L(levels[None]).dtype == np.float32

    def test_rgb8_to_L(self):
        L = rgb8_to_L(self.img)
        assert L.shape == self.img.shape[:2] and L.dtype == np.float32
        assert np.abs(L - rgb8_to_lab(self.img)[..., 0]).max() < 1e-4

    def test_lab_to_rgb8_round_trip_is_exact(self):
        assert np.array_equal(lab_to_rgb8(rgb8_to_lab(self.img)), self.img)

    def test_lab_to_rgb8_matches_torch_out_of_gamut(self):
        rng = np.random.default_rng(5)
        lab = np.stack(
            [rng.uniform(-5, 105, (64, 64)), rng.uniform(-120, 120, (64, 64)), rng.uniform(-120, 120, (64, 64))], -1
        )
        ours = lab_to_rgb8(lab).astype(int)
        ref = np.rint(_hwc(lab_to_rgb(torch.from_numpy(lab).movedim(-1, -3))) * 255).astype(int)
        diff = np.abs(ours - ref)
        assert diff.max() <= 1 and (diff > 0).mean() < 1e-3

    def test_bad_inputs(self):
        with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8.*\(4, 4\)"):
            rgb8_to_lab(np.zeros((4, 4), np.uint8))
        with pytest.raises(ValueError, match="float32"):
            rgb8_to_lab(np.zeros((4, 4, 3), np.float32))
        with pytest.raises(ValueError, match=r"\(H, W\) uint8.*\(4, 4, 3\)"):
            luma_to_L(np.zeros((4, 4, 3), np.uint8))
        with pytest.raises(ValueError, match=r"\(H, W, 3\).*\(4, 4\)"):
            lab_to_rgb8(np.zeros((4, 4), np.float32))


class TestFilmLab:
    """What memovid learns from a colour picture: its ab, at the lightness its black-and-white transfer has."""

    def test_lightness_is_what_colorize_reads_from_the_gray_film(self):
        import cv2

        from memovid.color.lab import luma_to_L, rgb8_to_film_lab

        rgb = np.random.default_rng(3).integers(0, 256, (24, 32, 3), dtype=np.uint8)
        film = rgb8_to_film_lab(rgb)
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)  # BT.601 luma, as FFmpeg's gray8 of the same picture
        assert np.abs(film[..., 0] - luma_to_L(gray)).max() < 0.3  # 8-bit rounding of the gray only
        np.testing.assert_allclose(film[..., 1:], rgb8_to_lab(rgb)[..., 1:], atol=1e-4)

    def test_saturated_colours_differ_from_cie_lightness(self):
        from memovid.color.lab import rgb8_to_film_lab

        blue = np.zeros((1, 1, 3), np.uint8)
        blue[..., 2] = 255
        assert rgb8_to_lab(blue)[0, 0, 0] == pytest.approx(32.3, abs=0.2)
        assert rgb8_to_film_lab(blue)[0, 0, 0] < 14.0  # luma 29 of 255: a dark gray on a black-and-white print
        gray = np.full((1, 1, 3), 128, np.uint8)
        assert rgb8_to_film_lab(gray)[0, 0, 0] == pytest.approx(rgb8_to_lab(gray)[0, 0, 0], abs=0.05)
