"""A black-and-white film written to 8-bit 4:2:0 goes out as its own luma plus painted chroma
(memovid.color.ycbcr, Finisher.yuv420, VideoWriter.write_yuv420)."""

import av
import numpy as np
import pytest
from click.testing import CliRunner

from memovid.cli import cli
from memovid.color.lab import luma_to_L, rgb8_to_lab
from memovid.color.ycbcr import chroma_codes, studio_luma
from memovid.paint.finish import Finisher
from memovid.paint.upsample import UPSAMPLERS
from memovid.report.metrics import mean_ciede2000
from memovid.video import EncodeOptions, open_writer, read_frames, write_video
from memovid.video.frame import Frame
from tests.mediagen import keyframed_film

BT601 = (0.299, 0.114)
BT709 = (0.2126, 0.0722)


def test_studio_luma_undoes_decodes_expansion_level_for_level():
    codes = np.arange(16, 236, dtype=np.float64)
    expanded = np.rint((codes - 16) * 255 / 219).astype(np.uint8)[None]  # what decode's gray read gives
    assert np.array_equal(studio_luma(expanded)[0], codes.astype(np.uint8))
    assert studio_luma(np.array([[0, 255]], np.uint8)).tolist() == [[16, 235]]


@pytest.mark.parametrize("rgb, weights, want", [
    ((128, 128, 128), BT601, (128, 128)),   # neutral: no chroma
    ((255, 0, 0), BT601, (90, 240)),        # BT.601's red: Cb 90, Cr 240
    ((0, 0, 255), BT601, (240, 110)),
    ((255, 0, 0), BT709, (102, 240)),       # the matrix matters
    ((0, 255, 0), BT709, (42, 26)),
])
def test_chroma_codes_are_the_colours_studio_range_cb_cr(rgb, weights, want):
    lab = rgb8_to_lab(np.array([[rgb]], np.uint8))
    got = chroma_codes(lab[..., 0], lab[..., 1:], weights)[0, 0]
    assert np.abs(got.astype(int) - want).max() <= 1


def test_chroma_codes_clip_to_the_gamut_first():
    """ab far outside sRGB at a dark L: the colour an 8-bit picture can hold, codes inside 16-240."""
    from memovid.color.lab import lab_to_rgb8

    lab = np.array([[[5.0, 120.0, -120.0]]], np.float32)
    got = chroma_codes(lab[..., 0], lab[..., 1:], BT601)[0, 0].astype(int)
    r, g, b = lab_to_rgb8(lab)[0, 0] / 255.0  # the clipped colour
    y = 0.299 * r + 0.587 * g + 0.114 * b
    want = 128 + 224 * np.array([(b - y) / 1.772, (r - y) / 1.402])
    assert 16 <= got.min() and got.max() <= 240
    assert np.abs(got - want).max() <= 1.5


def test_finisher_yuv420_puts_the_planes_where_i420_has_them():
    rng = np.random.default_rng(0)
    luma = rng.integers(0, 256, (8, 12), dtype=np.uint8)
    L_small = luma_to_L(luma[::2, ::2].copy())
    ab = np.zeros((4, 6, 2), np.float32)
    ab[..., 0], ab[..., 1] = 20.0, -30.0
    out = Finisher(UPSAMPLERS["bilinear"]).yuv420(luma, L_small, ab, None, None, 1.0, BT601)
    assert out.shape == (12, 12) and out.dtype == np.uint8
    assert np.array_equal(out[:8], studio_luma(luma))
    cb, cr = out.reshape(-1)[96:].reshape(2, 4, 6)
    # the chroma of the colour on each 2x2 block's mean luma (bilinear: the constant ab stays put)
    block = luma.reshape(4, 2, 6, 2).astype(float).mean(axis=(1, 3))
    want = chroma_codes(luma_to_L(np.rint(block).astype(np.uint8)), np.ascontiguousarray(ab), BT601)
    assert np.abs(cb.astype(int) - want[..., 0]).max() <= 1 and np.abs(cr.astype(int) - want[..., 1]).max() <= 1
    assert cb.min() > 140  # ab (20, -30) leans blue
    faded = Finisher(UPSAMPLERS["bilinear"]).yuv420(luma, L_small, ab, None, None, 0.0, BT601)
    assert np.all(faded[8:] == 128)  # a fade's zero gain leaves no chroma
    with pytest.raises(ValueError, match="even"):
        Finisher(UPSAMPLERS["bilinear"]).yuv420(luma[:7], L_small, ab, None, None, 1.0, BT601)


def _writer_weights(tmp_path, name, image, **kwargs):
    with open_writer(tmp_path / name, **kwargs) as writer:
        weights = writer.yuv420_weights(Frame(image, 0))
        writer.write(Frame(image, 0))
    return weights


def test_the_writer_takes_planes_only_where_they_fit(tmp_path):
    gray = np.full((16, 24), 100, np.uint8)
    assert _writer_weights(tmp_path, "a.mp4", gray) == BT601  # untagged source: BT.601
    assert _writer_weights(tmp_path, "b.mkv", gray, options=EncodeOptions(codec="ffv1")) is None  # RGB-coded
    assert _writer_weights(tmp_path, "c.mp4", np.full((15, 24), 100, np.uint8)) is None  # odd: padded
    assert _writer_weights(tmp_path, "d.mp4", np.full((16, 24, 3), 100, np.uint8)) is None  # colour picture
    assert _writer_weights(tmp_path, "seq/%03d.png", gray) is None


def test_write_yuv420_refuses_a_buffer_of_the_wrong_shape(tmp_path):
    from memovid.errors import InputError

    with open_writer(tmp_path / "a.mp4") as writer:
        frame = Frame(np.zeros((16, 24), np.uint8), 0)
        assert writer.yuv420_weights(frame) is not None
        with pytest.raises(InputError, match=r"\(24, 24\) uint8"):
            writer.write_yuv420(frame, np.zeros((16, 24), np.uint8))
        writer.write_yuv420(frame, np.full((24, 24), 128, np.uint8))


def test_colorize_keeps_a_gray_films_luma_and_gives_back_a_keyframes_colour(tmp_path):
    """Lossless H.264 (crf 0): every frame's Y' plane is the film's own luma, code for code, and the
    painted keyframe comes back as close to its colour original as 4:2:0 chroma allows."""
    colour, keys, gray = keyframed_film(tmp_path, (96, 64), (0, 12))
    model = tmp_path / "m.memo"
    assert CliRunner().invoke(cli, ["--quiet", "train", str(keys), "-m", str(model), "--steps", "2",
                                    "--size", "64"]).exit_code == 0
    out = tmp_path / "c.mp4"
    result = CliRunner().invoke(cli, ["--quiet", "colorize", str(gray), "-m", str(model), "-o", str(out),
                                      "--crf", "0"])
    assert result.exit_code == 0, result.output
    with av.open(str(out)) as container:
        planes = [f.to_ndarray(format="yuv420p") for f in container.decode(video=0)]
    film = [f.image for f in read_frames(gray, mode="gray")]
    assert len(planes) == len(film) == 24
    for got, luma in zip(planes, film):
        assert np.array_equal(got[:64], studio_luma(luma))
    assert float(np.std([p[64:].astype(float) for p in planes])) > 2  # colour was added
    # the colour original through the same lossless 4:2:0 encode: what subsampled chroma alone costs
    floor = tmp_path / "floor.mp4"
    write_video(read_frames(colour), floor, options=EncodeOptions(crf=0))
    original, painted, subsampled = (rgb8_to_lab(next(f.image for f in read_frames(p) if f.index == 12))
                                     for p in (colour, out, floor))
    # (light re-made from the colour's L*, as before this path, costs 4.47 here against the floor's 3.82)
    assert mean_ciede2000(painted, original) < 1.05 * mean_ciede2000(subsampled, original)


@pytest.mark.parametrize("codec, halved", [("h264", True), ("ffv1", False)])
def test_keyframe_colour_is_moved_at_the_size_the_output_keeps(tmp_path, monkeypatch, codec, halved):
    """Written as I420 the keyframes' colour is read and moved at the chroma size (a quarter of the
    remapping and memory); an RGB output keeps it at the film's size."""
    from memovid.paint import tracking

    colour, keys, gray = keyframed_film(tmp_path, (96, 64), (0, 12))
    model = tmp_path / "m.memo"
    assert CliRunner().invoke(cli, ["--quiet", "train", str(keys), "-m", str(model), "--steps", "2",
                                    "--size", "64"]).exit_code == 0
    real, shapes = tracking._shot_guide, []

    def spy(film, analysis, shot, colour_shape):
        shapes.append(colour_shape)
        return real(film, analysis, shot, colour_shape)

    monkeypatch.setattr(tracking, "_shot_guide", spy)
    out = tmp_path / f"c.{'mp4' if codec == 'h264' else 'mkv'}"
    result = CliRunner().invoke(cli, ["--quiet", "colorize", str(gray), "-m", str(model), "-o", str(out),
                                      "--codec", codec])
    assert result.exit_code == 0, result.output
    assert shapes and set(shapes) == {(32, 48) if halved else (64, 96)}


def test_the_planes_take_the_sources_colour_matrix(tmp_path):
    """An HD source tagged BT.709 gets BT.709 chroma and is tagged so; an untagged one BT.601."""
    source = tmp_path / "hd.mp4"
    with av.open(str(source), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 32, 16, "yuv420p"
        stream.codec_context.colorspace = 1  # AVCOL_SPC_BT709
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(np.full((16, 32, 3), 90 + i, np.uint8), format="rgb24")
            container.mux(stream.encode(frame.reformat(format="yuv420p", dst_colorspace=1)))
        container.mux(stream.encode())
    out = tmp_path / "out.mp4"
    first = next(iter(read_frames(source, mode="gray")))
    with open_writer(out, source=source) as writer:
        assert writer.yuv420_weights(first) == BT709
        writer.write_yuv420(first, np.full((24, 32), 128, np.uint8))
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.colorspace == 1


def _bt709_source(path, size=(32, 16)):
    """A short gray H.264 film tagged BT.709 (an HD scan's matrix)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        stream.codec_context.colorspace = 1  # AVCOL_SPC_BT709
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(np.full((size[1], size[0], 3), 90 + i, np.uint8), format="rgb24")
            container.mux(stream.encode(frame.reformat(format="yuv420p", dst_colorspace=1)))
        container.mux(stream.encode())
    return path


def test_an_rgb_written_film_keeps_its_luma_in_the_outputs_matrix(tmp_path):
    """Through the RGB door (here lossless 4:4:4 H.264; ProRes and 10-bit H.265 go the same way) a
    BT.709 film's colour picture is built around BT.709 luma, so the Y' coded is the film's own, even
    where the painted colour is saturated; built around BT.601 luma it would be off by many levels."""
    from memovid.color.ycbcr import luma_colour_rgb8

    source = _bt709_source(tmp_path / "hd.mp4")
    luma = np.tile(np.linspace(60, 200, 32).astype(np.uint8), (16, 1))
    L = luma_to_L(luma)
    ab = np.zeros((16, 32, 2), np.float32)
    ab[:8, :, 1] = 40.0   # yellow
    ab[8:, :, 0] = -35.0  # green
    frame = Frame(luma, 0)

    def coded_luma(weights):
        out = tmp_path / f"out{weights[0]}.mp4"
        with open_writer(out, source=source, options=EncodeOptions(crf=0, pix_fmt="yuv444p")) as writer:
            assert writer.yuv420_weights(frame) is None  # 4:4:4: not the planar door
            chosen = writer.rgb_luma_weights(frame)
            writer.write(frame.with_image(luma_colour_rgb8(luma, L, ab, weights)))
        with av.open(str(out)) as container:
            decoded = next(container.decode(video=0))
            plane = np.frombuffer(decoded.planes[0], np.uint8).reshape(16, -1)[:, :32]
        return chosen, np.abs(plane.astype(int) - studio_luma(luma).astype(int))

    chosen, error = coded_luma(BT709)
    assert chosen == BT709
    assert error.max() <= 1, error.max()
    _, wrong = coded_luma(BT601)
    assert wrong.max() >= 4, wrong.max()


def test_rgb_luma_weights_are_bt601_where_nothing_converts(tmp_path):
    gray = Frame(np.full((16, 24), 100, np.uint8), 0)
    with open_writer(tmp_path / "a.mkv", source=_bt709_source(tmp_path / "hd.mp4", (24, 16)),
                     options=EncodeOptions(codec="ffv1")) as writer:
        assert writer.rgb_luma_weights(gray) == BT601  # RGB-coded: no matrix
        writer.write(gray)
    with open_writer(tmp_path / "seq/%03d.png") as writer:
        assert writer.rgb_luma_weights(gray) == BT601
        writer.write(gray)
