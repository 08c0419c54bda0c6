"""Keyframe guidance: keyframes warped along flow onto other frames of the shot, blended by distance."""

import cv2
import numpy as np
import pytest

from memovid.errors import InputError
from memovid.motion.guide import GuideConfig, KeyframeGuide, LazyFull

H, W = 96, 128
PAD = 40


def _smooth(h: int, w: int, seed: int, sigma: float, lo: float, hi: float) -> np.ndarray:
    noise = np.random.default_rng(seed).uniform(0, 1, (h, w)).astype(np.float32)
    return cv2.normalize(cv2.GaussianBlur(noise, (0, 0), sigma), None, lo, hi, cv2.NORM_MINMAX)


# A wide canvas that the camera pans over: textured luminance, colour in patches that follow it.
# Detail at several scales, as real pictures have, so that coarse-to-fine flow can lock on.
CANVAS_L8 = sum(_smooth(H + 2 * PAD, W + 2 * PAD, 10 + i, s, 0, 80) for i, s in enumerate((1.5, 4.0, 10.0)))
CANVAS_L8 = CANVAS_L8.astype(np.uint8)
CANVAS_AB = np.stack(
    [_smooth(H + 2 * PAD, W + 2 * PAD, seed=s, sigma=6.0, lo=-40, hi=40) for s in (1, 2)], axis=2
)  # (H', W', 2) Lab units, varies over ~10 px so that a wrong position shows


def pan(t: int, speed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Frame t of a pan to the left at ``speed`` px/frame: L8 (H, W) uint8, true ab (H, W, 2)."""
    x = PAD - 20 + speed * t
    return CANVAS_L8[PAD : PAD + H, x : x + W], CANVAS_AB[PAD : PAD + H, x : x + W]


def _guide(*keys: int, **config) -> KeyframeGuide:
    guide = KeyframeGuide(GuideConfig(**config))
    for k in keys:
        guide.add_keyframe(k, *pan(k))
    return guide


INNER = (slice(8, -8), slice(16, -16))  # away from the borders the pan uncovers


class TestWarpedKeyframe:
    def test_one_keyframe_is_warped_onto_a_panned_frame(self):
        L8, truth = pan(6)  # 12 px away from the keyframe
        ab, conf = _guide(0).guide_for(6, L8)[:2]
        assert ab.shape == (H, W, 2) and ab.dtype == np.float32 and conf.shape == (H, W)
        warped_err = np.abs(ab - truth)[INNER].mean()
        copied_err = np.abs(pan(0)[1] - truth)[INNER].mean()
        assert warped_err < 1.0 and copied_err > 5.0
        assert conf[INNER].mean() > 0.7

    def test_two_keyframes_both_sides_beat_either_alone(self):
        L8, truth = pan(6)
        both = _guide(0, 12).guide_for(6, L8).ab
        # The frame's left strip was visible in keyframe 0 only, its right strip in keyframe 12 only:
        # the per-pixel reliability must pick the keyframe that saw each strip.
        err = np.abs(both - truth)[8:-8].mean()
        assert err < 1.0
        assert err < np.abs(_guide(0).guide_for(6, L8)[0] - truth)[8:-8].mean()
        assert err < np.abs(_guide(12).guide_for(6, L8)[0] - truth)[8:-8].mean()

    def test_keyframe_index_returns_the_keyframe_itself(self):
        guide = _guide(0, 12)
        ab, conf = guide.guide_for(12, pan(12)[0])[:2]
        np.testing.assert_array_equal(ab, pan(12)[1])
        assert conf.min() == 1.0


class TestGuideShot:
    def test_streamed_shot_gives_every_frame_and_the_keyframes_exactly(self):
        guide = _guide(0, 12)
        results = list(guide.guide_shot((t, pan(t)[0]) for t in range(17)))
        assert [index for index, _ in results] == list(range(17))
        for index, (ab, conf, full, _) in results:
            assert full is None  # no full-size keyframes given
            truth = pan(index)[1]
            assert np.abs(ab - truth)[8:-8].mean() < 0.5, index
            assert conf.shape == (H, W) and 0.0 <= conf.min() <= conf.max() <= 1.0
        np.testing.assert_array_equal(results[12][1][0], pan(12)[1])

    def test_chained_flow_follows_a_small_fast_object_that_one_long_jump_loses(self):
        background = CANVAS_L8[:H, :W]
        sprite = _smooth(16, 16, seed=5, sigma=1.0, lo=150, hi=255).astype(np.uint8)

        def frame(t: int):  # a 16 px sprite crossing at 5 px/frame over a still background
            L8 = background.copy()
            ab = np.empty((H, W, 2), np.float32)
            ab[...] = (-10.0, 20.0)
            mask = np.zeros((H, W), bool)
            mask[40:56, 8 + 5 * t : 24 + 5 * t] = True
            L8[mask] = sprite.ravel()
            ab[mask] = (50.0, 40.0)
            return L8, ab, mask

        guide = KeyframeGuide()
        for k in (0, 12):
            guide.add_keyframe(k, *frame(k)[:2])
        streamed = dict(guide.guide_shot((t, frame(t)[0]) for t in range(13)))
        L8, truth, mask = frame(6)  # 30 px from either keyframe: twice the sprite's width
        chained_err = np.abs(streamed[6][0] - truth)[mask].mean()
        direct_err = np.abs(guide.guide_for(6, L8)[0] - truth)[mask].mean()
        assert chained_err < 6.0 and direct_err > 20.0

    def test_pairs_next_to_a_keyframe_are_estimated_once(self, monkeypatch):
        """The keyframes' luminance came from another decode (one level off here and there): once the
        stream reaches a keyframe its own bytes stand in, so the flows between it and its neighbours,
        asked for by a chain and by the direct warp, are each estimated once."""
        import memovid.motion.flow as F

        calls = []
        real_dis = F._dis
        monkeypatch.setattr(F, "_dis", lambda a, b, config: (calls.append(1), real_dis(a, b, config))[1])
        guide = KeyframeGuide()
        for k in (0, 12):
            L8, ab = pan(k)
            guide.add_keyframe(k, np.where(L8 % 7 == 0, np.minimum(L8, 254) + 1, L8).astype(np.uint8), ab)
        with F.shared_flows():
            results = dict(guide.guide_shot((t, pan(t)[0]) for t in range(13)))
        consecutive, direct = 12, 11 * 2 - 2  # frames 1 and 11 find their keyframe's pair kept by a chain
        assert len(calls) == 2 * (consecutive + direct)  # two DIS fields a pair
        assert np.abs(results[6][0] - pan(6)[1])[8:-8].mean() < 0.5

    def test_a_shot_without_keyframes_yields_none_for_each_frame(self):
        assert list(KeyframeGuide().guide_shot((t, pan(t)[0]) for t in range(3))) == [(0, None), (1, None), (2, None)]


class TestLookAlike:
    """A shot that comes back to where it was (a loop, a reused drawing, a camera returning): the
    keyframe that looks like the frame guides it, not only the nearest ones in time."""

    KEYS = (0, 12, 24)

    @staticmethod
    def loop(t: int):
        """Frames 0-29 pan left, then the shot starts again from the beginning: frame 30 + t is frame t."""
        return pan(t % 30)

    def test_a_frame_after_the_loop_takes_the_keyframe_it_repeats(self):
        guide = KeyframeGuide()
        for k in self.KEYS:
            guide.add_keyframe(k, *self.loop(k))
        L8, truth = self.loop(32)  # the picture of frame 2: 4 px from keyframe 0, 44 px from keyframe 24
        g = guide.guide_for(32, L8)
        assert np.abs(g.ab - truth)[INNER].mean() < 1.0
        assert g.trust[INNER].mean() > 0.7
        only_time = KeyframeGuide()  # the same frame with the nearest keyframe in time alone
        only_time.add_keyframe(24, *self.loop(24))
        assert np.abs(only_time.guide_for(32, L8).ab - truth)[INNER].mean() > 5.0

    def test_streamed_loop_is_followed_on_both_sides_of_the_jump(self):
        guide = KeyframeGuide()
        for k in self.KEYS:
            guide.add_keyframe(k, *self.loop(k))
        results = dict(guide.guide_shot((t, self.loop(t)[0]) for t in range(40)))
        errors = {t: np.abs(results[t].ab - self.loop(t)[1])[INNER].mean() for t in range(25, 40)}
        assert max(errors.values()) < 1.0, errors

    def test_a_keyframe_no_more_alike_than_the_neighbours_is_left_out(self):
        """On an ordinary pan the neighbours in time are the likest: a third keyframe changes nothing."""
        L8 = pan(6)[0]
        two = _guide(0, 12).guide_for(6, L8)
        three = _guide(0, 12, 24).guide_for(6, L8)
        np.testing.assert_array_equal(two.ab, three.ab)
        np.testing.assert_array_equal(two.trust, three.trust)


class TestStill:
    def test_a_grainy_still_picture_keeps_its_keyframe_colour_sharp(self):
        """Grain jitters the flow, and resampling along it blurs sharp colour edges; the keyframe taken
        in place does neither (measured: 0.17 without the in-place candidate, 0.09 with)."""
        rng = np.random.default_rng(3)
        L8 = np.ascontiguousarray(CANVAS_L8[:H, :W])
        ab = np.repeat(np.repeat(rng.uniform(-40, 40, (H // 8, W // 8, 2)), 8, 0), 8, 1).astype(np.float32)
        guide = KeyframeGuide()
        guide.add_keyframe(0, L8, ab)
        guide.add_keyframe(12, L8, ab)
        grainy = np.clip(L8 + rng.normal(0, 4, L8.shape), 0, 255).astype(np.uint8)
        g = guide.guide_for(6, grainy)
        assert np.abs(g.ab - ab)[INNER].mean() < 0.12
        assert g.trust[INNER].mean() > 0.9


class TestBlend:
    def test_blends_two_keyframes_by_distance_on_a_still_shot(self):
        L8 = pan(0)[0]
        guide = KeyframeGuide()
        guide.add_keyframe(0, L8, np.full((H, W, 2), (10.0, -20.0), np.float32))
        guide.add_keyframe(10, L8, np.full((H, W, 2), (30.0, 20.0), np.float32))
        ab = guide.guide_for(3, L8).ab
        np.testing.assert_allclose(ab[INNER], np.broadcast_to((16.0, -8.0), ab[INNER].shape), atol=0.1)
        ab = guide.guide_for(5, L8).ab
        np.testing.assert_allclose(ab[INNER], np.broadcast_to((20.0, 0.0), ab[INNER].shape), atol=0.1)

    def test_weight_decays_with_distance_to_the_keyframe(self):
        guide = _guide(0, decay_frames=30.0)
        L8 = pan(0)[0]
        near = guide.guide_for(2, L8)[1][INNER].mean()
        far = guide.guide_for(20, L8)[1][INNER].mean()
        assert near == pytest.approx(np.exp(-2 / 30), abs=0.03)
        assert far == pytest.approx(np.exp(-20 / 30), abs=0.03)

    def test_trust_in_the_moved_colour_follows_the_flow_not_the_distance(self):
        """A still picture 20 frames from its keyframe has not changed colour: the generator's input
        weight decays, but the share of the moved colour that colorize keeps does not."""
        guide = _guide(0, decay_frames=30.0)
        L8 = pan(0)[0]
        far = guide.guide_for(20, L8)
        assert far.trust[INNER].mean() > 0.95 > 0.6 > far.weight[INNER].mean()
        moved = guide.guide_for(6, pan(6)[0])  # a pan: the uncovered right strip was never seen
        assert moved.trust[:, -8:].mean() < 0.5 < moved.trust[INNER].mean()

    def test_only_the_nearest_keyframe_on_each_side_is_used(self):
        L8 = pan(0)[0]
        guide = KeyframeGuide()
        for k, value in ((0, 90.0), (10, 10.0), (20, 30.0), (30, 90.0)):
            guide.add_keyframe(k, L8, np.full((H, W, 2), value, np.float32))
        ab = guide.guide_for(15, L8).ab
        np.testing.assert_allclose(ab[INNER], 20.0, atol=0.1)
        assert guide.indices == [0, 10, 20, 30]


class TestShot:
    def test_a_shot_without_keyframes_gets_none(self):
        guide = _guide(0)
        guide.clear()
        assert guide.guide_for(3, pan(3)[0]) is None

    def test_inputs_are_checked(self):
        guide = _guide(0)
        with pytest.raises(InputError, match=r"\(96, 128\)"):
            guide.guide_for(3, np.zeros((50, 50), np.uint8))
        with pytest.raises(InputError, match=r"\(96, 128, 3\)"):
            guide.add_keyframe(5, pan(5)[0], np.zeros((H, W, 3), np.float32))
        with pytest.raises(InputError, match="decay_frames"):
            GuideConfig(decay_frames=0)


class TestFullSize:
    """Keyframes carry their full-size ab: flow at working size, colour moved at full size."""

    SHARP_AB = np.stack([_smooth(H + 2 * PAD, W + 2 * PAD, seed=s, sigma=1.2, lo=-40, hi=40) for s in (3, 4)], axis=2)

    def frame(self, t: int):
        """Frame t at full size (H, W) with fine colour detail, and its half-size working version."""
        L8, _ = pan(t)
        x = PAD - 20 + 2 * t
        full_ab = self.SHARP_AB[PAD : PAD + H, x : x + W]
        small = (W // 2, H // 2)
        return (cv2.resize(L8, small, interpolation=cv2.INTER_AREA), cv2.resize(full_ab, small, interpolation=cv2.INTER_AREA),
                full_ab)

    def guide(self, *keys: int) -> KeyframeGuide:
        guide = KeyframeGuide()
        for k in keys:
            guide.add_keyframe(k, *self.frame(k))
        return guide

    def test_moved_full_size_colour_keeps_the_detail_working_size_loses(self):
        L8, _, truth = self.frame(6)
        g = self.guide(0, 12).guide_for(6, L8)
        assert g.ab.shape == (H // 2, W // 2, 2) and g.full_ab.shape == (H, W, 2)
        full_err = np.abs(g.full_ab - truth)[INNER].mean()
        upsampled_err = np.abs(cv2.resize(g.ab, (W, H), interpolation=cv2.INTER_LINEAR) - truth)[INNER].mean()
        assert full_err < 0.6 * upsampled_err, (full_err, upsampled_err)

    def test_streamed_shot_gives_the_keyframes_exactly_and_tracks_the_rest(self):
        guide = self.guide(0, 12)
        results = dict(guide.guide_shot((t, self.frame(t)[0]) for t in range(17)))
        np.testing.assert_array_equal(results[12].full_ab, self.frame(12)[2])
        for t in (3, 6, 9, 15):
            upsampled = cv2.resize(results[t].ab, (W, H), interpolation=cv2.INTER_LINEAR)
            truth = self.frame(t)[2]
            assert np.abs(results[t].full_ab - truth)[INNER].mean() < np.abs(upsampled - truth)[INNER].mean(), t

    def test_lazy_paintings_give_the_same_colour_and_few_are_held(self, monkeypatch):
        """Full-size keyframes read when needed (LazyFull) give what the eager ones give, and no more
        than FULL_LOADED are held at once however many keyframes the shot has."""
        import memovid.motion.guide as G

        monkeypatch.setattr(G, "FULL_LOADED", 3)
        keys = list(range(0, 25, 3))  # 9 keyframes in the shot
        loads = []

        def loader(k):
            def load():
                loads.append(k)
                return np.dstack([np.zeros((H, W)), self.frame(k)[2]])[..., 1:]  # a strided view, as a Lab picture's ab
            return load

        lazy = KeyframeGuide()
        for k in keys:
            L8, ab, _ = self.frame(k)
            lazy.add_keyframe(k, L8, ab, G.LazyFull((H, W), loader(k)))
        eager = self.guide(*keys)
        frames = [(t, self.frame(t)[0]) for t in range(26)]
        for (t, a), (_, b) in zip(lazy.guide_shot(frames), eager.guide_shot(frames)):
            np.testing.assert_array_equal(a.full_ab, b.full_ab)
            assert len(lazy._loaded) <= 3
            assert all(a.flags.c_contiguous and a.dtype == np.float32 for a in lazy._loaded.values())  # remap copies views
        assert set(loads) == set(keys) and len(loads) < 2 * len(keys)  # read once each, a few again

    def test_a_painting_that_cannot_be_used_stands_in_upsampled(self):
        guide = KeyframeGuide()
        L8, ab, full = self.frame(0)
        guide.add_keyframe(0, L8, ab, LazyFull((H, W), lambda: None))
        g = guide.guide_for(0, L8)
        np.testing.assert_allclose(g.full_ab, cv2.resize(ab, (W, H), interpolation=cv2.INTER_LINEAR), atol=1e-5)
        with pytest.raises(InputError, match="must share a size"):
            guide.add_keyframe(6, *self.frame(6)[:2], LazyFull((H // 2, W), lambda: None))

    def test_a_keyframe_without_full_size_colour_stands_in_upsampled(self):
        guide = KeyframeGuide()
        guide.add_keyframe(0, *self.frame(0))
        L8, ab, _ = self.frame(12)
        guide.add_keyframe(12, L8, ab)  # no full-size ab for this one
        assert guide.guide_for(12, L8).full_ab.shape == (H, W, 2)
        assert guide.guide_for(6, self.frame(6)[0]).full_ab.shape == (H, W, 2)

    def test_full_size_keyframes_of_one_shot_must_share_a_size(self):
        guide = self.guide(0)
        L8, ab, full = self.frame(12)
        with pytest.raises(InputError, match="share a size"):
            guide.add_keyframe(12, L8, ab, full[:-2])

    def test_each_keyframe_is_moved_once_at_full_size(self, monkeypatch):
        """Between two keyframes a frame has six candidates (each keyframe carried, moved straight and
        in place): the full-size colour is resampled once per keyframe, not once per candidate."""
        import memovid.motion.guide as G

        full_size_warps = []
        real_warp_up = G.warp_up

        def counting_warp_up(image, field, *args):
            assert image.shape[:2] == (H, W) and field.shape[:2] != (H, W)  # full-size colour, working-size field
            full_size_warps.append(image.shape)
            return real_warp_up(image, field, *args)

        monkeypatch.setattr(G, "warp_up", counting_warp_up)
        per_frame = {}
        for t, g in self.guide(0, 12).guide_shot((t, self.frame(t)[0]) for t in range(13)):
            per_frame[t] = len(full_size_warps)  # the frame is blended just before it is given
            full_size_warps.clear()
            if t in (3, 6, 9):
                truth = self.frame(t)[2]
                upsampled = cv2.resize(g.ab, (W, H), interpolation=cv2.INTER_LINEAR)
                assert np.abs(g.full_ab - truth)[INNER].mean() < 0.6 * np.abs(upsampled - truth)[INNER].mean(), t
        assert per_frame[0] == per_frame[12] == 0  # the keyframes themselves
        assert all(1 <= per_frame[t] <= 2 for t in range(1, 12)), per_frame

    def test_the_exact_blend_moves_every_candidate_and_stays_close(self, monkeypatch):
        """full_size "candidate" moves each candidate (four of six here move); "keyframe" gives nearly
        the same colour on this pan, where all candidates are trusted."""
        import memovid.motion.guide as G

        counts = []
        real_warp_up = G.warp_up
        monkeypatch.setattr(G, "warp_up", lambda image, field, *args: (counts.append(image.shape[:2] == (H, W)), real_warp_up(image, field, *args))[1])
        exact = KeyframeGuide(GuideConfig(full_size="candidate"))
        for k in (0, 12):
            exact.add_keyframe(k, *self.frame(k))
        per_frame = {}
        for t, g in exact.guide_shot((t, self.frame(t)[0]) for t in range(13)):
            per_frame[t], full = sum(counts), g.full_ab
            counts.clear()
            if t == 6:
                break
        assert per_frame[6] == 4  # carried from 0, carried back from 12, each moved straight
        fast = dict(self.guide(0, 12).guide_shot((t, self.frame(t)[0]) for t in range(13)))[6].full_ab
        assert np.abs(full - fast)[INNER].mean() < 0.5, np.abs(full - fast)[INNER].mean()
        with pytest.raises(InputError, match="full_size"):
            GuideConfig(full_size="pixel")

    def test_the_heaviest_candidate_of_a_keyframe_gives_its_field(self):
        from memovid.motion.guide import _Candidate, _heaviest_field

        moved = np.full((4, 6, 2), 3.0, np.float32)
        heavy = np.where(np.arange(6) < 3, 0.9, 0.1)[None].repeat(4, 0).astype(np.float32)
        group = [(_Candidate(0, moved, heavy, 5.0, 1.0), heavy),
                 (_Candidate(0, None, 1 - heavy, 5.0, 1.0), 1 - heavy)]  # in place wins on the right
        field = _heaviest_field(group)
        np.testing.assert_array_equal(field[:, :3], 3.0)
        np.testing.assert_array_equal(field[:, 3:], 0.0)
        assert _heaviest_field(group[1:]) is None  # in place everywhere: nothing to resample


def test_a_held_candidate_keeps_its_field_and_reliability_to_the_stated_bound():
    """guide_shot holds the chains' candidates in float16 while it waits for the next keyframe
    (memovid.motion.guide._Candidate.held): under 128 px of motion a displacement comes back within
    1/32 px, a reliability within 2.5e-4, and a keyframe in place (no field) stays so."""
    from memovid.motion.guide import _Candidate

    rng = np.random.default_rng(0)
    field = rng.uniform(-127.9, 127.9, (40, 60, 2)).astype(np.float32)
    reliability = rng.uniform(0, 1, (40, 60)).astype(np.float32)
    c = _Candidate(3, field, reliability, 7.0, 0.5)
    held = c.held()
    assert held.field.dtype == np.float16 and held.field.nbytes == field.nbytes // 2
    back = held.used()
    assert back.field.dtype == np.float32 and back.reliability.dtype == np.float32
    assert np.abs(back.field - field).max() <= 1 / 32
    assert np.abs(back.reliability - reliability).max() <= 2.5e-4
    assert (back.key, back.distance, back.decay) == (3, 7.0, 0.5)
    assert _Candidate(3, None, reliability, 0.0, 1.0).held().used().field is None
