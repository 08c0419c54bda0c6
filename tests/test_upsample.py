"""Edge-aware chroma upsampling keeps colour edges on the picture's edges."""

import cv2
import numpy as np
import pytest

from memovid.paint.upsample import bilinear_upsample, guided_upsample


def _edge_scene(w: int, h: int):
    """Left half dark and blue-ish, right half bright and red-ish: L and ab share one vertical edge."""
    L = np.full((h, w), 30.0, np.float32)
    L[:, w // 2:] = 70.0
    ab = np.zeros((h, w, 2), np.float32)
    ab[:, : w // 2] = (10.0, -40.0)
    ab[:, w // 2:] = (50.0, 30.0)
    return L, ab


def test_guided_keeps_edges_sharper_than_bilinear():
    L_full, ab_full = _edge_scene(256, 64)
    L_small = cv2.resize(L_full, (64, 16), interpolation=cv2.INTER_AREA)
    ab_small = cv2.resize(ab_full, (64, 16), interpolation=cv2.INTER_AREA)
    guided = guided_upsample(ab_small, L_small, L_full)
    plain = bilinear_upsample(ab_small, L_small, L_full)
    band = slice(128 - 8, 128 + 8)  # the pixels next to the edge
    err_guided = np.abs(guided[:, band] - ab_full[:, band]).mean()
    err_plain = np.abs(plain[:, band] - ab_full[:, band]).mean()
    assert err_guided < 0.3 * err_plain
    assert err_guided < 1.0


def test_flat_regions_are_kept_exactly():
    L_full, ab_full = _edge_scene(128, 32)
    L_small = cv2.resize(L_full, (32, 8), interpolation=cv2.INTER_AREA)
    ab_small = cv2.resize(ab_full, (32, 8), interpolation=cv2.INTER_AREA)
    out = guided_upsample(ab_small, L_small, L_full)
    assert out.shape == (32, 128, 2)
    np.testing.assert_allclose(out[:, :40], ab_full[:, :40], atol=0.05)
    np.testing.assert_allclose(out[:, -40:], ab_full[:, -40:], atol=0.05)


def test_shape_mismatch_is_refused_with_shapes():
    with pytest.raises(ValueError, match=r"\(8, 8\)"):
        guided_upsample(np.zeros((8, 9, 2), np.float32), np.zeros((8, 8), np.float32), np.zeros((16, 16), np.float32))
