"""CIEDE2000 against Sharma et al. (2005) test data and skimage; edge cases and gradients."""

import numpy as np
import pytest
import torch
from skimage.color import deltaE_ciede2000

from memovid.color.ciede2000 import ciede2000, ciede2000_image

# Sharma, Wu, Dalal 2005, Table 1: (L1, a1, b1, L2, a2, b2, dE00), all 34 pairs.
SHARMA = [
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615),
    (50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412),
    (50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461),
    (50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977),
    (50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030),
    (50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
    (63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630),
    (61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731),
    (35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645),
    (22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373),
    (36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146),
    (90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441),
    (90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381),
    (6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377),
    (2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082),
]


def _sharma(dtype):
    data = torch.tensor(SHARMA, dtype=torch.float64)
    return data[:, :3].to(dtype), data[:, 3:6].to(dtype), data[:, 6]


def _random_lab(n, seed):
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(0, 100, n), rng.uniform(-110, 110, n), rng.uniform(-110, 110, n)], -1)


class TestSharma:
    def test_all_34_pairs_float64(self):
        lab1, lab2, expected = _sharma(torch.float64)
        got = ciede2000(lab1, lab2)
        assert got.dtype == torch.float64
        np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=5e-5)

    def test_symmetric(self):
        lab1, lab2, _ = _sharma(torch.float64)
        torch.testing.assert_close(ciede2000(lab1, lab2), ciede2000(lab2, lab1), atol=1e-12, rtol=0)

    def test_float32(self):
        lab1, lab2, expected = _sharma(torch.float32)
        got = ciede2000(lab1, lab2)
        assert got.dtype == torch.float32
        np.testing.assert_allclose(got.double().numpy(), expected.numpy(), atol=2e-4)


class TestAgainstSkimage:
    def test_random_pairs(self):
        lab1, lab2 = _random_lab(5000, 0), _random_lab(5000, 1)
        got = ciede2000(torch.from_numpy(lab1), torch.from_numpy(lab2)).numpy()
        np.testing.assert_allclose(got, deltaE_ciede2000(lab1, lab2), atol=1e-4, rtol=0)

    def test_random_near_pairs_and_greys(self):
        # small differences and neutral colours are where hue handling matters
        lab1 = _random_lab(3000, 2)
        lab1[:500, 1:] = 0.0
        lab2 = lab1 + np.random.default_rng(3).normal(0, 2.0, lab1.shape)
        lab2[250:500, 1:] = 0.0
        got = ciede2000(torch.from_numpy(lab1), torch.from_numpy(lab2)).numpy()
        np.testing.assert_allclose(got, deltaE_ciede2000(lab1, lab2), atol=1e-4, rtol=0)

    def test_image_channels_first(self):
        lab1 = torch.from_numpy(_random_lab(2 * 5 * 7, 4)).reshape(2, 5, 7, 3)
        lab2 = torch.from_numpy(_random_lab(2 * 5 * 7, 5)).reshape(2, 5, 7, 3)
        got = ciede2000_image(lab1.permute(0, 3, 1, 2), lab2.permute(0, 3, 1, 2))
        assert got.shape == (2, 5, 7)
        np.testing.assert_allclose(got.numpy(), deltaE_ciede2000(lab1.numpy(), lab2.numpy()), atol=1e-4)


class TestEdgeCases:
    def test_identical_and_grey_are_zero_without_nan(self):
        lab = torch.tensor([[50.0, 0.0, 0.0], [0.0, 0.0, 0.0], [70.0, 20.0, -30.0]], requires_grad=True)
        d = ciede2000(lab, lab.detach().clone())
        assert d.abs().max() < 1e-15
        d.sum().backward()
        assert torch.isfinite(lab.grad).all()

    def test_gradient_finite_at_grey_vs_colour(self):
        lab1 = torch.tensor([[50.0, 0.0, 0.0], [50.0, 1e-8, 0.0]], dtype=torch.float64, requires_grad=True)
        lab2 = torch.tensor([[50.0, 3.0, -4.0], [50.0, 0.0, 0.0]], dtype=torch.float64)
        d = ciede2000(lab1, lab2)
        d.sum().backward()
        assert torch.isfinite(d).all() and torch.isfinite(lab1.grad).all()
        assert torch.autograd.gradcheck(
            ciede2000, (torch.tensor([[50.0, 10.0, 5.0]], dtype=torch.float64, requires_grad=True),
                        torch.tensor([[55.0, -3.0, 8.0]], dtype=torch.float64))
        )

    def test_hue_wraps_around(self):
        # hues 350 and 10 degrees are 20 apart, not 340
        c = 30.0
        h1, h2 = np.deg2rad(350.0), np.deg2rad(10.0)
        lab1 = torch.tensor([60.0, c * np.cos(h1), c * np.sin(h1)], dtype=torch.float64)
        lab2 = torch.tensor([60.0, c * np.cos(h2), c * np.sin(h2)], dtype=torch.float64)
        got = ciede2000(lab1, lab2).item()
        assert got == pytest.approx(deltaE_ciede2000(lab1.numpy(), lab2.numpy()), abs=1e-6)
        assert got < 10.0

    def test_broadcast_and_half_input(self):
        lab1 = torch.from_numpy(_random_lab(10, 6)).float()
        ref = torch.tensor([50.0, 0.0, 0.0])
        d = ciede2000(lab1, ref)
        assert d.shape == (10,)
        assert ciede2000(lab1.half(), ref.half()).dtype == torch.float32

    def test_bad_shapes(self):
        with pytest.raises(ValueError, match=r"channels last, got \(4, 2\)"):
            ciede2000(torch.zeros(4, 2), torch.zeros(4, 3))
        with pytest.raises(ValueError, match=r"lab2 .*\(\.\.\., 3, H, W\), got \(2, 4, 4\)"):
            ciede2000_image(torch.zeros(3, 4, 4), torch.zeros(2, 4, 4))
