"""Colour features: in-gamut bins, exact histograms and dominant colours, finite KL, CIEDE2000 vs skimage."""

import numpy as np
import pytest
import torch
from skimage.color import deltaE_ciede2000

from memovid.color.features import FEATURES, ColorDistribution, DominantColors, in_gamut_grid, make_feature
from memovid.color.lab import rgb_to_lab


def _image(colours_and_counts, L=None):
    """A (1, 2, 1, N) ab image (and (1, 1, 1, N) L) with the given (a, b) colours repeated count times."""
    ab = torch.cat([torch.tensor(c, dtype=torch.float32).view(2, 1).expand(2, n) for c, n in colours_and_counts], 1)
    ab = ab.view(1, 2, 1, -1)
    return ab, torch.full((1, 1, 1, ab.shape[-1]), 50.0 if L is None else L)


def _bin(feature, a, b):
    return int(((feature.centres - torch.tensor([a, b])).abs().sum(1) == 0).nonzero())


def test_in_gamut_bin_count_is_pinned_and_covers_every_srgb_colour():
    # Cells of a 10-unit ab grid that some 8-bit sRGB colour falls in. The paper (after Zhang et al.)
    # says 313; the sRGB gamut itself touches 261 (see the report / docstring).
    assert int(in_gamut_grid().sum()) == 261
    assert ColorDistribution().dim == 261
    t = torch.linspace(0, 1, 24)
    rgb = torch.stack(torch.meshgrid(t, t, t, indexing="ij")).reshape(3, -1, 1)  # interior too
    ab = rgb_to_lab(rgb)[1:].reshape(2, -1)
    cells = torch.round((ab + 110) / 10).long()
    assert in_gamut_grid()[cells[0], cells[1]].all()


def test_hard_histogram_is_exact():
    f = ColorDistribution("hard")
    ab, _ = _image([((0, 0), 8), ((40, -20), 4), ((-30, 60), 4)])
    h = f.compute(ab)[0]
    assert h[_bin(f, 0, 0)] == pytest.approx(0.5)
    assert h[_bin(f, 40, -20)] == pytest.approx(0.25)
    assert h[_bin(f, -30, 60)] == pytest.approx(0.25)
    assert int((h > 0).sum()) == 3


def test_soft_histogram_splits_between_neighbouring_bins():
    f = ColorDistribution("soft")
    ab, _ = _image([((45, -20), 4), ((0, 0), 4)])
    h = f.compute(ab)[0]
    assert h[_bin(f, 40, -20)] == pytest.approx(0.25)
    assert h[_bin(f, 50, -20)] == pytest.approx(0.25)
    assert h[_bin(f, 0, 0)] == pytest.approx(0.5)
    assert h.sum() == pytest.approx(1.0)


def test_kl_is_finite_with_empty_bins_and_orders_similarity():
    f = ColorDistribution("hard")
    red, _ = _image([((60, 40), 16)])
    reddish, _ = _image([((60, 40), 12), ((50, 40), 4)])
    blue, _ = _image([((10, -60), 16)])
    vr, vr2, vb = f.compute(red), f.compute(reddish), f.compute(blue)
    d = torch.stack([f.distance(vr, vr), f.distance(vr, vr2), f.distance(vr, vb)]).squeeze(1)
    assert torch.isfinite(d).all()
    assert d[0] == 0 and 0 < d[1] < 0.6 < d[2]  # 0.6: the paper's cartoon delta
    assert 0.95 * np.log(1 / f.eps) < d[2] <= np.log(1 / f.eps)  # disjoint colours: the bound


def test_dominant_colours_are_exact_sorted_and_cyclically_padded():
    f = DominantColors()
    ab, L = _image([((20, 30), 5), ((-40, 10), 9), ((0, 0), 2)], L=62.5)
    v = f.compute(ab, L)[0].view(10, 3)
    expected = torch.tensor([[62.5, -40, 10], [62.5, 20, 30], [62.5, 0, 0]])
    assert torch.equal(v[:3], expected)
    assert torch.equal(v[3:6], expected) and torch.equal(v[9], expected[0])


def test_dominant_colours_need_L():
    with pytest.raises(ValueError, match="needs L"):
        DominantColors().compute(torch.zeros(1, 2, 4, 4))


@pytest.mark.parametrize("lab1, lab2", [((50, 2.6772, -79.7751), (50, 0, -82.7485)), ((60, 40, 10), (55, -20, 35)), ((30, 0, 0), (80, 10, -10)), ((90, -5, 70), (88, 5, 60))])
def test_rgb_feature_distance_is_ciede2000_of_single_colour_images(lab1, lab2):
    f = DominantColors()
    ab1, L1 = _image([(lab1[1:], 4)], L=lab1[0])
    ab2, L2 = _image([(lab2[1:], 4)], L=lab2[0])
    d = f.distance(f.compute(ab1, L1), f.compute(ab2, L2))
    assert float(d) == pytest.approx(float(deltaE_ciede2000(np.array(lab1, float), np.array(lab2, float))), abs=1e-3)


def test_rgb_distance_matches_colours_not_ranks():
    f = DominantColors()
    a, La = _image([((20, 30), 5), ((-40, 10), 4)])
    b, Lb = _image([((20, 30), 4), ((-40, 10), 5)])  # same colours, ranks swapped
    assert float(f.distance(f.compute(a, La), f.compute(b, Lb))) == pytest.approx(0.0, abs=1e-4)


@pytest.mark.parametrize("kind", sorted(FEATURES))
def test_feature_contract(kind):
    f = make_feature(kind)
    torch.manual_seed(0)
    ab = torch.randn(3, 2, 9, 11) * 40
    L = torch.rand(3, 1, 9, 11) * 100
    v = f.compute(ab, L)
    assert v.shape == (3, f.dim) and torch.isfinite(v).all()
    d = f.distance(v.unsqueeze(1), v.unsqueeze(0))  # (3, 3) broadcast over leading dims
    assert d.shape == (3, 3) and torch.isfinite(d).all() and (d >= 0).all()
    assert torch.allclose(d.diagonal(), torch.zeros(3), atol=1e-4)
    assert f.embed(v).shape == v.shape and f.embed(v).abs().max() <= 2


def test_unknown_feature_is_refused():
    with pytest.raises(ValueError, match="unknown colour feature"):
        make_feature("hsv")


def test_mix_blends_distributions_and_keeps_the_heaviest_dominant_colours():
    dist = ColorDistribution()
    red, blue = dist.compute(*_image([((40, 30), 10)])), dist.compute(*_image([((-20, -40), 10)]))
    values = torch.stack((red[0], blue[0]))[None]  # (1, 2, Q)
    mixed = dist.mix(values, torch.tensor([[0.75, 0.25]]))
    assert mixed.shape == red.shape and float(mixed.sum()) == pytest.approx(1.0)
    assert float(mixed[0, _bin(dist, 40, 30)]) == pytest.approx(0.75)
    assert float(mixed[0, _bin(dist, -20, -40)]) == pytest.approx(0.25)
    rgb = DominantColors()
    a, b = rgb.compute(*_image([((40, 30), 10)])), rgb.compute(*_image([((-20, -40), 10)]))
    picked = rgb.mix(torch.stack((a[0], b[0]))[None], torch.tensor([[0.3, 0.7]]))
    assert torch.equal(picked, b)  # ten colours have no meaningful average: the heavier slot's
