"""Shot boundaries and scenes on generated clips with known structure (exact frame numbers)."""

import cv2
import numpy as np
import pytest

from memovid.scenes import DETECTORS, SceneConfig, SceneSplitter, Transition, detect_scenes
from memovid.video.frame import Frame

H, W = 72, 128  # already at working size: what the detectors see is what the test made


def texture(seed: int, width: int = W) -> np.ndarray:
    """A set-up: smooth random layout plus finer detail, (H, width) float32 in [0, 255]."""
    rng = np.random.default_rng(seed)
    layout = cv2.resize(rng.uniform(30, 225, (6, 8)).astype(np.float32), (width, H),
                        interpolation=cv2.INTER_CUBIC)
    detail = cv2.resize(rng.uniform(-25, 25, (18, 32)).astype(np.float32), (width, H))
    return np.clip(layout + detail, 0, 255)


def shot(seed: int, n: int, motion: float = 1.0, start: int = 0) -> list[np.ndarray]:
    """n frames of set-up ``seed`` with a moving bright disc and film grain, (H, W) uint8."""
    rng = np.random.default_rng(seed + 1000 + start)
    background = texture(seed)
    frames = []
    for k in range(start, start + n):
        picture = background.copy()
        cv2.circle(picture, (int(20 + motion * k) % W, 36), 8, 250.0, -1)
        frames.append(np.clip(picture + rng.normal(0, 2, picture.shape), 0, 255).astype(np.uint8))
    return frames


def mix(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    return np.clip((1 - weight) * a.astype(np.float32) + weight * b, 0, 255).astype(np.uint8)


def split(frames: list[np.ndarray], config: SceneConfig | None = None):
    return detect_scenes((Frame(f, i) for i, f in enumerate(frames)), config, fps=25.0)


def spans(items) -> list[tuple[int, int]]:
    return [(item.start, item.end) for item in items]


def test_hard_cuts_between_shots():
    table = split(shot(1, 40) + shot(2, 30) + shot(3, 35))
    assert spans(table.shots) == [(0, 40), (40, 70), (70, 105)]
    assert table.transitions == [Transition(40, 40, "cut"), Transition(70, 70, "cut")]
    assert table.frames == 105 and table.fps == 25.0


def test_fade_through_black_is_one_boundary_where_the_picture_comes_back():
    a, b = shot(1, 40), shot(2, 40)
    fade_out = [(a[-1] * (1 - (k + 1) / 11)).astype(np.uint8) for k in range(10)]  # frames 40-49
    black = [np.full((H, W), 3, np.uint8)] * 4  # frames 50-53
    fade_in = [(b[0] * ((k + 1) / 11)).astype(np.uint8) for k in range(10)]  # frames 54-63
    table = split(a + fade_out + black + fade_in + b)
    # frames darker than fade_black_mean (24) count as black: 48-55 here
    assert table.transitions == [Transition(40, 48, "fade_out"), Transition(56, 64, "fade_in")]
    assert spans(table.shots) == [(0, 56), (56, 104)]
    assert [s.shots for s in table.scenes] == [[0], [1]]


def test_fifteen_frame_dissolve_split_at_its_midpoint():
    a, b = shot(1, 40), shot(2, 55)
    dissolve = [mix(a[-1], b[0], (k + 1) / 16) for k in range(15)]  # frames 40-54
    table = split(a + dissolve + b)
    assert table.transitions == [Transition(40, 55, "dissolve")]
    assert spans(table.shots) == [(0, 47), (47, 110)]


@pytest.mark.parametrize("flash", ["brighter", "white"])
def test_flash_frame_is_not_a_cut(flash):
    frames = shot(1, 60)
    frames[30] = (np.clip(frames[30].astype(int) + 120, 0, 255).astype(np.uint8)
                  if flash == "brighter" else np.full((H, W), 250, np.uint8))
    table = split(frames)
    assert spans(table.shots) == [(0, 60)] and table.transitions == []


@pytest.mark.parametrize("speed", [1.5, 4.0])
def test_pan_is_not_a_cut_nor_a_dissolve(speed):
    wide = texture(7, width=400)
    rng = np.random.default_rng(0)
    n = int((400 - W) / speed)
    frames = [np.clip(wide[:, int(speed * k):int(speed * k) + W] + rng.normal(0, 2, (H, W)), 0, 255)
              .astype(np.uint8) for k in range(n)]
    table = split(frames)
    assert spans(table.shots) == [(0, n)] and table.transitions == []


def test_conversation_is_one_scene_and_a_new_place_starts_another():
    frames = (shot(1, 30) + shot(2, 25, motion=-1) + shot(1, 30, start=30)
              + shot(2, 25, motion=-1, start=25) + shot(5, 40) + shot(6, 30))
    table = split(frames)
    assert spans(table.shots) == [(0, 30), (30, 55), (55, 85), (85, 110), (110, 150), (150, 180)]
    assert [(s.start, s.end, s.shots) for s in table.scenes] == [
        (0, 110, [0, 1, 2, 3]), (110, 150, [4]), (150, 180, [5])]


def test_fade_breaks_a_scene_even_when_the_set_up_returns():
    a = shot(1, 40)
    fade = [(a[-1] * (1 - (k + 1) / 11)).astype(np.uint8) for k in range(10)] + [
        np.full((H, W), 3, np.uint8)] * 4 + [(a[0] * ((k + 1) / 11)).astype(np.uint8) for k in range(10)]
    table = split(a + fade + shot(1, 40, start=40))
    assert len(table.shots) == 2 and [s.shots for s in table.scenes] == [[0], [1]]


def test_min_shot_len_merges_close_cuts():
    table = split(shot(1, 40) + shot(2, 5) + shot(3, 40))
    assert spans(table.shots) == [(0, 40), (40, 85)]


def test_streaming_reports_shots_with_bounded_delay_and_rgb_frames_of_any_size():
    frames = shot(1, 40) + shot(2, 30) + shot(3, 200)
    splitter = SceneSplitter(SceneConfig(), fps=25.0)
    final_at = {}
    for index, picture in enumerate(frames):
        rgb = cv2.resize(np.repeat(picture[:, :, None], 3, axis=2), (256, 144))  # (144, 256, 3)
        for finished in splitter.feed(Frame(rgb, index)):
            final_at[(finished.start, finished.end)] = index
    table = splitter.finish()
    assert spans(table.shots) == [(0, 40), (40, 70), (70, 270)]
    assert set(final_at) == {(0, 40), (40, 70)}
    assert all(at - end <= splitter.latency for (_, end), at in final_at.items())


def test_progress_is_reported_and_bad_frames_are_refused():
    calls = []
    frames = shot(1, 50)
    detect_scenes((Frame(f, i) for i, f in enumerate(frames)), progress=lambda *a: calls.append(a),
                  fps=25.0, total=50)
    assert calls[-1] == ("scenes", 50, 50)
    from memovid.errors import InputError

    with pytest.raises(InputError, match=r"\(4, 4, 4\)"):
        SceneSplitter().feed(Frame(np.zeros((4, 4, 4), np.uint8), 0))


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_contract(name):
    """Every registered detector: no transition on a static shot; any transition it reports is
    inside the film, well formed, not later than its declared delay, and post_process flushes."""
    detector = DETECTORS[name](SceneConfig())
    assert detector.delay >= 0
    frames = shot(1, 40) + [mix(shot(1, 40)[-1], shot(2, 1)[0], (k + 1) / 16) for k in range(15)]
    frames += shot(2, 100)
    reported = []
    for index, picture in enumerate(frames):
        for transition in detector.process_frame(index, picture):
            assert transition.start >= index - detector.delay
            reported.append(transition)
    reported += detector.post_process()
    for transition in reported:
        assert 0 <= transition.start <= transition.end <= len(frames)
        assert transition.kind in ("cut", "fade_out", "fade_in", "dissolve")
    static = DETECTORS[name](SceneConfig())
    quiet = [t for i, f in enumerate(shot(3, 80, motion=0.5)) for t in static.process_frame(i, f)]
    assert quiet + static.post_process() == []


def test_config_bounds_are_checked():
    from memovid.errors import InputError

    with pytest.raises(InputError, match="min_shot_len"):
        SceneConfig(min_shot_len=0)
    with pytest.raises(InputError, match="unknown scene detector"):
        SceneConfig(detectors=("cut", "nope"))
