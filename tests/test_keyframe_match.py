"""Is a film frame the picture a keyframe was painted on? Up to a grade and noise, and no further."""

import numpy as np

from memovid.model.keyframes import Keyframe
from tests.mediagen import moving_shapes


def _keyframe(L8: np.ndarray) -> Keyframe:
    return Keyframe(0, L8, np.zeros((*L8.shape, 2), np.float32), "k.png")


def _pictures():
    frames = [f.mean(axis=2).astype(np.uint8) for f in moving_shapes(40, size=(256, 144), seed=3)]
    return frames[0], frames[39]


def test_the_same_picture_graded_darker_and_grainy_matches():
    picture, _ = _pictures()
    rng = np.random.default_rng(0)
    # A print 8 levels darker with 10 % less contrast and grain of 6 levels: the plain mean
    # difference is far over MATCH_TOLERANCE, the picture is the same.
    graded = 0.9 * picture.astype(np.float32) - 8 + rng.normal(0, 6, picture.shape)
    graded = np.clip(graded, 0, 255).astype(np.uint8)
    assert np.abs(graded.astype(int) - picture.astype(int)).mean() > 8
    assert _keyframe(picture).matches(graded)


def test_another_picture_does_not_match_at_any_grade():
    picture, later = _pictures()
    assert not _keyframe(picture).matches(later)
    assert not _keyframe(picture).matches(255 - picture)  # a negative is not a grade
    flat = np.full_like(picture, int(picture.mean()))
    assert not _keyframe(picture).matches(flat)


def test_a_frame_of_another_size_is_compared_on_the_keyframe_grid():
    picture, later = _pictures()
    big = np.repeat(np.repeat(picture, 2, axis=0), 2, axis=1)
    assert _keyframe(picture).matches(big)
    assert not _keyframe(picture).matches(np.repeat(np.repeat(later, 2, axis=0), 2, axis=1))


def test_a_gap_that_varies_by_region_still_matches():
    # Flat-coloured regions whose print luminance differs from the painting's L* by hue (the left half
    # lighter in the print, the right darker): no single gain and offset maps one onto the other.
    rng = np.random.default_rng(1)
    import cv2

    picture = cv2.GaussianBlur(rng.uniform(0, 255, (144, 256)).astype(np.float32), (0, 0), 6)
    picture = cv2.normalize(picture, None, 20, 235, cv2.NORM_MINMAX)
    film = picture.copy()
    film[:, :128] += 9
    film[:, 128:] -= 9
    film, picture = (np.clip(x, 0, 255).astype(np.uint8) for x in (film, picture))
    keyframe = _keyframe(picture)
    assert keyframe.matches(film)
    assert not keyframe.matches(np.roll(film, 40, axis=1))  # the same gap on a moved picture does not
