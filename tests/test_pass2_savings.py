"""Work pass 2 no longer does: flows estimated once per pair of frames, the generator skipped where its
guess would be thrown away, finishing and encode behind the model in a thread, gray frames' L by table.
Each saving must leave the answer what it was (or within the stated bound)."""

import time

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from memovid.cli import cli
from memovid.color import lab
from memovid.motion import flow as F
from memovid.motion.guide import Guidance
from memovid.paint.mix import Mixer
from memovid.paint.sources import Colour, MovedKeyframes, Palettes, SemanticMatch
from memovid.paint import painter, tracking
from memovid.paint.stream import Item, Pictures
from memovid.paint.config import ColorizeConfig
from memovid.video.depth import chroma_subsampling
from tests.mediagen import keyframed_film


def _textured(seed: int, shape=(72, 96)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 256, shape, dtype=np.uint8), (0, 0), 2.0)


def _shifted(image: np.ndarray, dx: int) -> np.ndarray:
    return np.roll(image, dx, axis=1)


class TestSharedFlows:
    def test_a_kept_pair_is_reused_either_way_round_with_the_same_answer(self):
        a = _textured(0)
        b = _shifted(a, 3)
        plain_ab, plain_ba = F.flow_with_reliability(a, b), F.flow_with_reliability(b, a)
        with F.shared_flows() as cache:
            kept_ab = F.flow_with_reliability(a, b, keep=True)
            kept_ba = F.flow_with_reliability(b, a, keep=True)  # the same two DIS fields, swapped
            again = F.flow_with_reliability(a.copy(), b.copy(), keep=True)  # by content, not identity
        assert (cache.hits, cache.misses) == (2, 1)
        for got, want in ((kept_ab, plain_ab), (kept_ba, plain_ba), (again, plain_ab)):
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
        assert float(plain_ab[0][..., 0][:, 10:-10].mean()) == pytest.approx(3.0, abs=0.3)  # it is the motion

    def test_the_last_user_takes_the_pair_out(self):
        a, b, c = _textured(7), _shifted(_textured(7), 1), _shifted(_textured(7), 2)
        with F.shared_flows() as cache:
            F.flow_with_reliability(b, a, keep=True)   # the chain from the keyframe before
            F.flow_with_reliability(a, b, keep=True)   # the chain from the keyframe after
            last = F.flow_with_reliability(b, a, last=True)  # the smoother
            assert len(cache._pairs) == 0 and cache._bytes == 0 and cache.hits == 2
            F.flow_with_reliability(c, b, last=True)   # no chain kept it: computed, not stored
            assert len(cache._pairs) == 0
        np.testing.assert_array_equal(last[1], F.flow_with_reliability(b, a)[1])

    def test_without_keep_or_outside_the_block_nothing_is_held(self):
        a, b = _textured(1), _textured(2)
        with F.shared_flows() as cache:
            F.flow_with_reliability(a, b)  # a direct warp from a keyframe: not asked to keep
            F.flow_with_reliability(a, b)
        assert cache.hits == 0 and len(cache._pairs) == 0
        F.flow_with_reliability(a, b, keep=True)  # no block: no cache, no error

    def test_the_cache_stays_within_its_bytes(self):
        frames = [_textured(s) for s in range(6)]
        one = 2 * frames[0].size * 2 * 4  # two (h, w, 2) float32 fields per pair
        cache = F.FlowCache(max_bytes=2 * one)
        for x, y in zip(frames, frames[1:]):
            cache.put(x, y, F.FlowConfig(), *F._dis_both(x, y, F.FlowConfig(), keep=False))
        assert cache._bytes <= 2 * one and len(cache._pairs) == 2
        assert cache.get(frames[4], frames[5], F.FlowConfig()) is not None  # the newest stay
        assert cache.get(frames[0], frames[1], F.FlowConfig()) is None


class _CountingGenerator:
    """Stands in for memovid.paint.sources.Generator: records how many frames each call paints."""

    def __init__(self):
        self.calls = []

    def colours(self, batch, beneath=None):
        self.calls.append(len(batch))
        return [Colour(np.full((8, 12, 2), 7.0, np.float32), 1.0) for _ in batch]


def _item(shot_guide: Guidance | None, scene: int = 0):
    return Item(0, (16, 24), np.full((8, 12), 50, np.float32), scene, 0, False, False, shot_guide)


def _mixer(shares: list, floor: float, area: float = 0.0):
    """A Mixer whose moved keyframe colour is kept by ``shares`` (one per frame, in order)."""
    curve = iter(shares)
    generator = _CountingGenerator()
    mixer = Mixer(generator, MovedKeyframes(lambda trust: next(curve)), SemanticMatch(None, {}, "off"),
                  Palettes({}, 0.0), floor, area)
    return mixer, generator


def test_the_generator_paints_only_frames_whose_guess_is_kept():
    moved = Guidance(np.full((8, 12, 2), -3.0, np.float32), np.ones((8, 12), np.float32))
    batch = [_item(moved), _item(moved), _item(None), _item(moved)]
    shares = [np.full((8, 12), 0.95, np.float32),                         # the guess at 5 %: skipped
              np.where(np.arange(12) < 6, 1.0, 0.8)[None].repeat(8, 0).astype(np.float32),  # 20 % somewhere
              np.ones((8, 12), np.float32)]                               # a keyframe itself (frame 2: none)
    mixer, generator = _mixer(shares, ColorizeConfig().generator_floor)
    mixed = mixer.mix(batch)
    assert generator.calls == [2] and mixer.generated == 2
    np.testing.assert_allclose(mixed[0][0], -3.0)  # the moved colour stands in
    np.testing.assert_allclose(mixed[3][0], -3.0)
    np.testing.assert_array_equal(mixed[2][0], 7.0)  # no keyframe reaches it: the guess alone
    assert mixed[2][1] is None
    np.testing.assert_allclose(mixed[1][0][:, :6], -3.0)  # trusted fully where the share is 1 ...
    np.testing.assert_allclose(mixed[1][0][:, 6:], 0.8 * -3.0 + 0.2 * 7.0, rtol=1e-6)  # ... 80 % elsewhere
    mixer, generator = _mixer(shares, 0.0)
    mixer.mix(batch)
    assert generator.calls == [4] and mixer.generated == 4  # 0: always paint


def test_a_few_weak_pixels_do_not_make_the_generator_paint_a_frame():
    """A disocclusion: 2 of 96 pixels (2.1 %) the moved colour keeps at 50 %. Over the area the guess is
    painted and mixed in there; within it the moved colour stands in on those pixels too."""
    moved = Guidance(np.full((8, 12, 2), -3.0, np.float32), np.ones((8, 12), np.float32))
    share = np.ones((8, 12), np.float32)
    share[4, 5:7] = 0.5
    for area, calls, weak in ((0.02, [1], 0.5 * -3.0 + 0.5 * 7.0), (0.03, [], -3.0)):
        mixer, generator = _mixer([share], 0.1, area)
        (ab, kept), = mixer.mix([_item(moved)])
        assert generator.calls == calls
        np.testing.assert_allclose(ab[4, 5:7], weak, rtol=1e-6)
        np.testing.assert_allclose(ab[:4], -3.0)
        np.testing.assert_array_equal(kept, share)


def test_a_bad_generator_floor_or_area_is_refused():
    with pytest.raises(ValueError, match="generator_floor"):
        ColorizeConfig(generator_floor=1.0)
    with pytest.raises(ValueError, match="generator_area"):
        ColorizeConfig(generator_area=-0.1)


def test_the_chroma_subsampling_of_common_formats():
    """What the writer pads odd sizes by (memovid.video.encode._chroma_padding)."""
    assert chroma_subsampling("yuv420p") == (2, 2)
    assert chroma_subsampling("yuv422p10le") == (2, 1)
    assert chroma_subsampling("yuv444p") == (1, 1) and chroma_subsampling("bgr0") == (1, 1)


def test_a_gray_picture_takes_the_table_and_matches_the_full_conversion():
    rng = np.random.default_rng(3)
    gray = np.repeat(rng.integers(0, 256, (31, 47, 1), dtype=np.uint8), 3, 2)
    np.testing.assert_allclose(lab.rgb8_to_L(gray), lab.rgb8_to_lab(gray)[..., 0], atol=1e-4)
    tinted = gray.copy()
    tinted[5, 7, 2] ^= 1  # one pixel off gray: the general path
    np.testing.assert_allclose(lab.rgb8_to_L(tinted), lab.rgb8_to_lab(tinted)[..., 0], atol=1e-4)
    assert lab._is_gray(gray) and not lab._is_gray(tinted)


def test_L_and_ab_convert_as_the_stacked_picture():
    rng = np.random.default_rng(4)
    L = rng.uniform(0, 100, (29, 41)).astype(np.float32)
    ab = rng.normal(0, 45, (29, 41, 2)).astype(np.float32)  # many out of gamut: clipped per channel
    stacked = np.concatenate([L[..., None], ab], axis=2)
    rgb = cv2.cvtColor(stacked, cv2.COLOR_Lab2RGB)
    want = np.rint(np.clip(rgb, 0, 1) * 255).astype(np.uint8)
    np.testing.assert_array_equal(lab.lab_to_rgb8(stacked), want)
    np.testing.assert_array_equal(lab.L_ab_to_rgb8(L, ab), want)
    with pytest.raises(ValueError):
        lab.L_ab_to_rgb8(L, ab[:-1])


class TestBehind:
    def test_items_are_finished_in_order_and_all_before_the_block_ends(self):
        from memovid.video.prefetch import write_behind

        done = []
        with write_behind(lambda x: (time.sleep(0.002), done.append(x)), 2) as back:
            for i in range(20):
                back.submit(i)
        assert done == list(range(20))

    def test_an_error_in_the_worker_reaches_the_submitter(self):
        from memovid.video.prefetch import write_behind

        def finish(x):
            if x == 3:
                raise ValueError("encoder broke at 3")

        with pytest.raises(ValueError, match="broke at 3"):
            with write_behind(finish, 2) as back:
                for i in range(50):
                    back.submit(i)
                    time.sleep(0.001)

    def test_an_error_in_the_block_stops_the_worker_before_it_propagates(self):
        import threading

        from memovid.video.prefetch import write_behind

        started = threading.Event()
        done = []

        def finish(x):
            started.set()
            time.sleep(0.01)
            done.append(x)

        with pytest.raises(KeyboardInterrupt):
            with write_behind(finish, 4, "t-behind") as back:
                for i in range(4):
                    back.submit(i)
                started.wait(1)
                raise KeyboardInterrupt
        seen = len(done)
        time.sleep(0.05)
        assert len(done) == seen < 4  # nothing more is finished once the block has left
        assert not any(t.name == "t-behind" for t in threading.enumerate())


def test_colorize_interrupted_while_finishing_leaves_no_output(tmp_path, monkeypatch):
    """The encoder fails in the write-behind thread: one clear error, no file at the output path."""
    from memovid.errors import RunError
    from memovid.paint.colorize import colorize
    from memovid.video import encode

    colour, keys, gray = keyframed_film(tmp_path, (96, 64), (0, 12))
    model = tmp_path / "m.memo"
    assert CliRunner().invoke(cli, ["--quiet", "train", str(keys), "-m", str(model), "--steps", "2", "--size", "64"]).exit_code == 0
    real, calls = encode.VideoWriter._encode, []

    def failing(self, av_frame, frame):  # what both write (RGB) and write_yuv420 (planes) go through
        calls.append(frame.index)
        if len(calls) == 5:
            raise RunError("disk full (test)")
        return real(self, av_frame, frame)

    monkeypatch.setattr(encode.VideoWriter, "_encode", failing)
    out = tmp_path / "c.mp4"
    with pytest.raises(RunError, match="disk full"):
        colorize(gray, model, out)
    assert not out.exists() and not any("memovid-tmp" in p.name for p in tmp_path.iterdir())  # temp removed too


def _film(path, frames: list[np.ndarray]):
    from memovid.video import EncodeOptions, write_video
    from memovid.video.frame import Frame

    write_video((Frame(f, i) for i, f in enumerate(frames)), path, fps=24, options=EncodeOptions(codec="ffv1"))
    return path


def test_a_film_is_judged_colour_on_its_first_picture_that_is_not_black(tmp_path, caplog):
    """Pass 2 reads a black-and-white film as luma and a colour one in colour: a colour film fading in
    from black is colour, a gray one fading in is not, and only the colour one is warned about."""
    import logging

    black = [np.zeros((48, 64, 3), np.uint8)] * 3
    ramp = np.repeat(np.linspace(0, 255, 64, dtype=np.uint8)[None, :, None], 48, 0)
    gray = _film(tmp_path / "gray.mkv", black + [np.repeat(ramp, 3, 2)] * 3)
    tinted = np.concatenate([ramp, 255 - ramp, np.full_like(ramp, 90)], axis=2)
    colour = _film(tmp_path / "colour.mkv", black + [tinted] * 3)
    with caplog.at_level(logging.WARNING, logger="memovid"):
        assert painter._has_colour(gray) is False
        assert not caplog.messages
        assert painter._has_colour(colour) is True
    assert caplog.messages == ["colour.mkv already has colour: only its lightness is used"]


def test_a_gray_film_comes_out_with_its_own_lightness(tmp_path):
    """Read as luma, a black-and-white film's luma is the output's, level for level (lossless RGB
    output, FFV1: each pixel's BT.601 luma, which the film's gray levels are; gamut clipping of the new
    colour moves a few by a level or more)."""
    from memovid.color.lab import luma
    from memovid.video import read_frames

    colour, keys, gray = keyframed_film(tmp_path, (96, 64), (0, 12))
    model = tmp_path / "m.memo"
    assert CliRunner().invoke(cli, ["--quiet", "train", str(keys), "-m", str(model), "--steps", "2", "--size", "64"]).exit_code == 0
    out = tmp_path / "c.mkv"
    result = CliRunner().invoke(cli, ["--quiet", "colorize", str(gray), "-m", str(model), "-o", str(out), "--codec", "ffv1"])
    assert result.exit_code == 0, result.output
    got = np.stack([luma(f.image) for f in read_frames(out)])
    want = np.stack([f.image for f in read_frames(gray, mode="gray")]).astype(np.float64)
    assert got.shape == want.shape
    assert np.abs(got - want).mean() < 0.5
    assert np.mean(np.abs(got - want) > 1.5) < 0.01
    assert float(np.stack([f.image for f in read_frames(out)]).std(axis=-1).mean()) > 0.5  # colour was added


class _Numbered:
    def __init__(self, index):
        self.index = index


def test_the_finishing_threads_pictures_come_by_index_in_order():
    pictures = Pictures(iter([_Numbered(i) for i in (0, 1, 2, 4, 5)]))
    assert pictures.at(0).index == 0 and pictures.at(2).index == 2 and pictures.at(5).index == 5
    with pytest.raises(RuntimeError, match="no frame 3"):
        Pictures(iter([_Numbered(i) for i in (0, 1, 4)])).at(3)


def test_the_second_read_keeps_step_with_the_first_through_a_damaged_stretch(tmp_path, monkeypatch):
    """Where pass 2 reads the film twice (the model's side at working size, the finishing thread at
    full size; forced here): through bytes of garbage, which the decoder skips and memovid fills,
    every frame written still carries its own luma (lossless H.264: Y' code for code), none of
    another frame's."""
    from archivegen import garbage, write_tiny_model
    from mediagen import make_video
    from memovid.color.ycbcr import studio_luma
    from memovid.video import read_frames

    import av

    colour = make_video(tmp_path / "c.mp4", n=60, size=(96, 64), audio=False)
    gray = tmp_path / "g.mp4"
    with av.open(str(gray), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"g": "12"})
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        for f in read_frames(colour, mode="gray"):
            picture = av.VideoFrame.from_ndarray(np.repeat(f.image[..., None], 3, 2), format="rgb24")
            out.mux(stream.encode(picture.reformat(format="yuv420p")))
        out.mux(stream.encode())
    bad = garbage(gray, 0.45, 600, out=tmp_path / "bad.mp4")
    film = [f.image for f in read_frames(bad, mode="gray")]
    model = write_tiny_model(tmp_path / "m.memo")
    out = tmp_path / "o.mp4"
    monkeypatch.setattr(painter, "HELD_LIMIT", -1)  # read twice whatever is held
    reads = []
    real = Pictures.__init__
    monkeypatch.setattr(Pictures, "__init__", lambda self, frames: reads.append(frames) or real(self, frames))
    result = CliRunner().invoke(cli, ["--quiet", "colorize", str(bad), "-m", str(model), "-o", str(out), "--crf", "0"])
    assert reads and reads[0] is not None  # the second reader was made
    assert result.exit_code == 0, result.output
    with av.open(str(out)) as container:
        planes = [f.to_ndarray(format="yuv420p")[:64] for f in container.decode(video=0)]
    assert len(planes) == len(film) >= 50
    assert len({luma.tobytes() for luma in film}) > 40  # the frames differ: a slip would show
    for got, luma in zip(planes, film):
        assert np.array_equal(got, studio_luma(luma))


def test_the_film_is_read_twice_only_where_a_gaps_worth_of_pictures_would_be_large():
    """A keyframe gap's worth of held full-size pictures against tracking.HELD_LIMIT: 720p gray with a
    keyframe every 13 frames holds 12 MB (read once), every 104 frames 96 MB (read twice); gaps past
    MAX_HELD get direct warps and hold nothing; without keyframes nothing is held."""
    from types import SimpleNamespace

    from memovid.paint.analyse import Analysis

    def analysis(keys, frames=400):
        table = SimpleNamespace(shots=[SimpleNamespace(start=0, end=frames)], shot_of=lambda i: 0)
        found = SimpleNamespace(keyframes={k: None for k in keys}, table=table)
        found.keyframes_by_shot = lambda: Analysis.keyframes_by_shot(found)
        return found

    frame = SimpleNamespace(image=np.zeros((720, 1280), np.uint8), luma=None)
    film = SimpleNamespace(config=ColorizeConfig())
    assert tracking.held_bytes(film, analysis(range(0, 400, 13)), frame) == 13 * 1280 * 720
    assert tracking.held_bytes(film, analysis(range(0, 400, 13)), frame) < tracking.HELD_LIMIT
    assert tracking.held_bytes(film, analysis([0, 104, 208, 312]), frame) > tracking.HELD_LIMIT
    assert tracking.held_bytes(film, analysis([0, 300]), frame) == 0  # 300 > MAX_HELD: direct warps
    assert tracking.held_bytes(film, analysis([]), frame) == 0
    deep = SimpleNamespace(image=np.zeros((64, 96), np.uint8), luma=SimpleNamespace(plane=np.zeros((64, 96), np.uint16)))
    assert tracking.held_bytes(film, analysis([50]), deep) == 51 * 64 * 96 * 3  # picture + 16-bit luma
