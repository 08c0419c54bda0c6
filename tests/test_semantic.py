"""The patch memory, its hedge and the semantic guide (colour for frames no keyframe of their shot reaches).

Nearest positions by cosine, lightness narrowing the blend, left-out groups never searched; the hedge
keeps the colour of matches that hold up on left-out keyframes and drops the colour of matches that
do not; keyframes of one shot fall into one group; and on real pictures through the shipped backbone,
a frame like a keyframe gets its colour while an unlike one stays near gray.
"""

import numpy as np
import pytest

from memovid.model.patches import PatchConfig, PatchMemory, grid_shape, look_groups
from memovid.paint.hedge import HedgeFit, NO_HEDGE_DATA


def _unit(v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _memory(config=PatchConfig(k=2, dims=3)):
    # two keyframes of 1 x 2 positions, 3-d features: red thing, blue thing / red thing, green thing
    features = [_unit([[[1, 0, 0], [0, 1, 0]]]), _unit([[[1, 0.1, 0], [0, 0, 1]]])]
    ab = [np.array([[[60, 40], [-10, -50]]], np.float32), np.array([[[58, 42], [-60, 50]]], np.float32)]
    L = [np.full((1, 2), 50, np.float32), np.full((1, 2), 50, np.float32)]
    return PatchMemory.build(features, ab, L, [0, 1], config)


def test_a_position_takes_the_colour_of_its_nearest_keyframe_positions():
    memory = _memory()
    match = memory.match(_unit([[[[0, 0.05, 1], [0, 1, 0.05]]]]), np.full((1, 1, 2), 50, np.float32))
    a, b = match.ab[0, 0]
    assert np.allclose(a, [-60, 50], atol=3) and np.allclose(b, [-10, -50], atol=3)
    assert match.similarity.shape == (1, 1, 2) and (match.similarity > 0.9).all()


def test_a_left_out_group_is_never_searched():
    memory = _memory()
    query = _unit([[[[0, 0, 1], [0, 0, 1]]]])  # like keyframe 1's green thing only
    kept = memory.match(query, np.full((1, 1, 2), 50, np.float32))
    out = memory.match(query, np.full((1, 1, 2), 50, np.float32), leave_out=1)
    assert np.allclose(kept.ab[0, 0, 0], [-60, 50], atol=3)
    assert not np.allclose(out.ab[0, 0, 0], [-60, 50], atol=20)  # found in keyframe 0 instead


def test_an_approximate_index_left_out_a_whole_neighbourhood_still_finds_the_nearest_others():
    # 40 clusters of positions; the left-out group is 10 whole clusters, queried with its own
    # positions: the IVF lists nearest each query hold nothing else (the stretch leave-out's case)
    rng = np.random.default_rng(3)
    centres = _unit(rng.normal(size=(40, 16)))
    cluster = np.repeat(np.arange(40), 800)
    keys = _unit(centres[cluster] + 0.15 * rng.normal(size=(len(cluster), 16)).astype(np.float32))
    config = PatchConfig(k=8, dims=16, flat_limit=10_000, ivf_probe=4)
    features = [keys.reshape(-1, 1, 16)[cluster == c] for c in range(40)]
    memory = PatchMemory.build(features, [np.zeros((800, 1, 2), np.float32)] * 40,
                               [np.full((800, 1), 50, np.float32)] * 40, [int(c < 10) for c in range(40)], config)
    queries = np.concatenate(features[:10])[::40]
    match = memory.match(queries[None], np.full((1, len(queries), 1), 50, np.float32), leave_out=1)
    reduced = memory.reduce(queries.reshape(-1, 16))
    exact = (reduced @ memory.keys[memory.group == 0].T).max(1)
    assert (match.similarity > 0).all()  # none came back empty (that reads -1)
    off = np.abs(match.similarity.ravel() - exact)
    assert (off < 1e-4).mean() > 0.8 and np.quantile(off, 0.95) < 0.05  # approximate, but near the exact best


def test_lightness_narrows_the_blend_and_disagreement_is_reported():
    # two positions alike in feature, red at L 20 and green at L 80, and an unlike blue one
    features = [_unit([[[1, 0, 0], [1, 0, 0], [0, 1, 0]]])]
    ab = [np.array([[[50, 0], [-50, 0], [0, -50]]], np.float32)]

    def memory(lightness, softness=0.05):
        return PatchMemory.build(features, ab, [np.array([lightness], np.float32)], [0],
                                 PatchConfig(k=2, dims=3, softness=softness))

    match = memory([20, 80, 50]).match(_unit([[[[1, 0, 0], [1, 0, 0]]]]), np.array([[[20, 80]]], np.float32))
    assert match.ab[0, 0, 0, 0] > 45 and match.ab[0, 0, 1, 0] < -45  # each lightness picks its own
    split = memory([50, 50, 50]).match(_unit([[[[1, 0, 0]]]]), np.array([[[50]]], np.float32))
    assert abs(split.ab[0, 0, 0, 0]) < 5 and split.agreement[0, 0, 0] < 0.1  # red and green cancel out


def test_the_hedge_keeps_what_holds_up_and_drops_what_does_not():
    rng = np.random.default_rng(0)
    truth = rng.normal(0, 20, (320, 320, 2)).astype(np.float32)  # 20k positions a bin: the prior weighs 2k
    confidence = np.tile(np.linspace(0, 1, 320, dtype=np.float32), (320, 1))
    right = confidence[..., None] > 0.5
    # confident half: the truth itself; unconfident half: a colour unrelated to it
    matched = np.where(right, truth, rng.normal(0, 20, truth.shape).astype(np.float32))
    fit = HedgeFit()
    fit.add(confidence, matched, truth)
    hedge = fit.hedge()
    assert hedge(np.float32(0.95)) > 0.9 and hedge(np.float32(0.05)) < 0.15
    assert list(hedge.gain) == sorted(hedge.gain) and 0.3 < hedge.overall < 0.7
    assert HedgeFit().hedge() is NO_HEDGE_DATA and float(NO_HEDGE_DATA(np.float32(1.0))) == 0.0


def test_keyframes_of_one_shot_share_a_group():
    import cv2

    rng = np.random.default_rng(1)
    smooth = lambda: cv2.GaussianBlur(rng.integers(0, 255, (96, 128)).astype(np.float32), (0, 0), 6)  # noqa: E731
    shot, other = smooth(), smooth()
    shot, other = ((x - x.min()) / (x.max() - x.min()) * 255 for x in (shot, other))
    shot, other = shot.astype(np.uint8), other.astype(np.uint8)
    moved = np.roll(shot, 3, axis=1)  # the camera panned a little
    assert look_groups([shot, other, moved]) == [0, 1, 0]


def test_grid_covers_the_frame_stretched_to_the_backbone_stride():
    assert grid_shape((144, 256)) == (20, 32) and grid_shape((64, 96)) == (8, 12)


@pytest.fixture(scope="module")
def model():
    from memovid.model.bundle import MemoModel

    m = MemoModel()
    m.eval()
    return m


def _picture(seed: int, colour):
    """A cartoon-like (h, w) picture: flat shapes at distinct grays, one painted ``colour`` (a, b)."""
    import cv2

    rng = np.random.default_rng(seed)
    L8 = np.full((96, 128), 200, np.uint8)
    ab = np.zeros((96, 128, 2), np.float32)
    for n in range(4):
        x, y = int(rng.integers(10, 100)), int(rng.integers(10, 70))
        cv2.circle(L8, (x, y), int(rng.integers(8, 20)), int(40 + 40 * n), -1)
    cv2.rectangle(L8, (40, 30), (90, 70), 90, -1)
    ab[30:71, 40:91] = colour
    return L8, ab


def test_training_guides_are_built_from_the_other_groups_only(model):
    from memovid.paint.semantic import training_guides

    pictures = [_picture(0, (40, 30)), _picture(0, (40, 30)), _picture(5, (-30, 20))]
    pictures[1] = (np.roll(pictures[1][0], 2, axis=1), np.roll(pictures[1][1], 2, axis=1))
    guides = training_guides(model, pictures)
    assert all(g is not None and g.ab.shape == (96, 128, 2) and g.weight.shape == (96, 128) for g in guides)
    # picture 0's group holds 0 and 1: its guide comes from picture 2 alone, never its own red
    assert guides[0].ab[40:60, 50:80, 0].mean() < 20


def test_a_frame_like_a_keyframe_gets_its_colour_and_an_unlike_one_stays_near_gray(model):
    from memovid.color.levels import L8_to_L
    from memovid.model.keyframes import Keyframe, KeyframeStore
    from memovid.paint.semantic import SemanticSource

    store = KeyframeStore([Keyframe(100000 + i, *_picture(i, (40, 30)), "test") for i in range(6)])
    store.into_model(model)
    source = SemanticSource.of(model, (96, 128))
    like = L8_to_L(_picture(10, (40, 30))[0])
    unlike = L8_to_L(np.random.default_rng(3).integers(0, 255, (96, 128)).astype(np.uint8))
    g_like, g_unlike = source.guides([like, unlike])
    assert g_like.ab[35:65, 45:85, 0].mean() > 10  # the painted rectangle: red-ish
    assert np.abs(g_unlike.ab).mean() < np.abs(g_like.ab).mean() / 2
    assert g_like.matched > g_unlike.matched


def test_match_and_palette_gains_are_fitted_together_and_drop_a_useless_one():
    rng = np.random.default_rng(2)
    truth = rng.normal(0, 20, (200, 200, 2)).astype(np.float32)
    confidence = rng.random((200, 200)).astype(np.float32)
    palette = truth + rng.normal(0, 10, truth.shape).astype(np.float32)   # a fair guess everywhere
    junk = rng.normal(0, 20, truth.shape).astype(np.float32)             # a match that never holds up
    fit = HedgeFit()
    fit.add(confidence, junk, truth, palette)
    hedge = fit.hedge()
    assert float(hedge(np.float32(0.5))) < 0.05
    assert 0.7 < float(hedge.palette_gain(np.float32(0.5))) <= 1.0  # least squares: 400 / (400 + 100)
    alone = HedgeFit()
    alone.add(confidence, junk, truth)
    assert float(alone.hedge().palette_gain(np.float32(0.5))) == 0.0


def test_colour_that_holds_up_on_one_stretch_of_the_film_only_is_not_counted_on():
    """Left out stretch by stretch (a new clip is one more stretch of the film): where the match is the
    truth on one stretch and unrelated on the other, the gains fall to about nothing; where it holds up
    on both, they stay near 1."""
    rng = np.random.default_rng(5)
    confidence = rng.random((120, 120)).astype(np.float32)

    def stretch(good: bool):
        truth = rng.normal(0, 20, (120, 120, 2)).astype(np.float32)
        return (truth if good else rng.normal(0, 20, truth.shape).astype(np.float32)), truth

    for goods, low, high in (((True, False), 0.0, 0.15), ((True, True), 0.85, 1.0)):
        fit = HedgeFit()
        for s, good in enumerate(goods):
            fit.add(confidence, *stretch(good), stretch=s)
        gains = fit.hedge().gain
        assert all(low <= g <= high for g in gains), (goods, gains)


def test_the_palette_keeps_what_pays_over_all_stretches_while_the_match_keeps_its_worst():
    """One stretch of three where neither guess holds up (a film's odd opening): the match, a confident
    wrong hue when wrong, falls to about nothing; the palette keeps about the least-squares share over
    all three stretches together (two of them paint the truth, one is unrelated: about 2/3), not zero."""
    rng = np.random.default_rng(7)
    confidence = rng.random((120, 120)).astype(np.float32)
    fit = HedgeFit()
    for s, good in enumerate((True, True, False)):
        truth = rng.normal(0, 20, (120, 120, 2)).astype(np.float32)
        guess = truth if good else rng.normal(0, 20, truth.shape).astype(np.float32)
        unrelated = rng.normal(0, 20, truth.shape).astype(np.float32)
        fit.add(confidence, guess if good else unrelated, truth, guess, stretch=s)
    hedge = fit.hedge()
    assert max(hedge.gain) < 0.15, hedge.gain
    assert all(0.5 < h < 0.8 for h in hedge.palette), hedge.palette
