"""Bit depth kept: a 10/12/16-bit source's own luminance goes out at its depth where the codec holds it,
with one warning where it cannot. Deep files are made here, with values that use every bit."""

import logging
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from archivegen import write_tiny_model
from memovid.api import load_pipeline
from memovid.video import EncodeOptions, probe, read_frames, transcode
from memovid.video.depth import read_luma

SIZE = (64, 48)


def deep_film(path, *, n=4, bits=10, codec="ffv1", pix_fmt="yuv420p10le", seed=0):
    """A gray film whose luminance uses all ``bits`` (studio range, neutral chroma); returns the planes."""
    rng = np.random.default_rng(seed)
    w, h = SIZE
    low, high = 16 << (bits - 8), 235 << (bits - 8)
    gradient = np.linspace(low, high, w)[None, :].repeat(h, 0)
    planes = [np.clip(gradient + rng.integers(-3, 4, (h, w)) + 40 * k, 0, (1 << bits) - 1).astype(np.uint16)
              for k in range(n)]
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        for k, y in enumerate(planes):
            frame = av.VideoFrame(w, h, pix_fmt)
            for plane, values in zip(frame.planes, [y, None, None]):
                rows = np.full((plane.height, plane.line_size // 2), 1 << (bits - 1), np.uint16)
                if values is not None:
                    rows[:, :plane.width] = values
                plane.update(rows.tobytes())
            frame.pts, frame.time_base = k, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return planes


def luma_planes(path):
    with av.open(str(path)) as container:
        return [(f.format.name, read_luma(f)) for f in container.decode(video=0)]


def warnings_of(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_ten_bit_ffv1_luminance_is_kept_exactly(tmp_path):
    planes = deep_film(tmp_path / "ten.mkv")
    assert any(p % 4 for p in planes[0].ravel())  # the two low bits carry something
    frames = list(read_frames(tmp_path / "ten.mkv"))
    assert frames[0].image.dtype == np.uint8 and frames[0].luma.bits == 10
    assert all(np.array_equal(f.luma.plane, p) for f, p in zip(frames, planes))

    transcode(tmp_path / "ten.mkv", tmp_path / "out.mkv", options=EncodeOptions(codec="ffv1"))
    out = luma_planes(tmp_path / "out.mkv")
    assert probe(tmp_path / "out.mkv").bit_depth == 10
    assert [fmt for fmt, _ in out] == ["yuv444p10le"] * 4
    assert all(np.array_equal(luma.plane, p) and not luma.full_range for (_, luma), p in zip(out, planes))


def test_twelve_bit_into_prores_keeps_ten_and_says_so(tmp_path, caplog):
    planes = deep_film(tmp_path / "twelve.mkv", bits=12, pix_fmt="yuv422p12le")
    with caplog.at_level(logging.WARNING, logger="memovid"):
        transcode(tmp_path / "twelve.mkv", tmp_path / "out.mov", options=EncodeOptions(codec="prores"))
    (warning,) = warnings_of(caplog)
    assert "out.mov" in warning and "prores writes 10-bit" in warning and "12-bit" in warning
    out = luma_planes(tmp_path / "out.mov")
    # ProRes is lossy: its 10 bits stay within a few levels of the 12-bit source's top 10 bits
    assert all(np.abs(luma.plane.astype(int) - (p.astype(int) >> 2)).mean() < 1.5 for (_, luma), p in zip(out, planes))


def test_eight_bit_only_codec_warns_once(tmp_path, caplog):
    deep_film(tmp_path / "ten.mkv", n=3)
    with caplog.at_level(logging.WARNING, logger="memovid"):
        transcode(tmp_path / "ten.mkv", tmp_path / "view.mp4", options=EncodeOptions(codec="h264"))
    (warning,) = warnings_of(caplog)
    assert "view.mp4" in warning and "h264 writes 8-bit" in warning and "ffv1" in warning
    assert probe(tmp_path / "view.mp4").bit_depth == 8


def test_sixteen_bit_png_sequence_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(1)
    (tmp_path / "scan").mkdir()
    gray = [rng.integers(0, 65536, SIZE[::-1], dtype=np.uint16) for _ in range(3)]
    rgb = rng.integers(0, 65536, (*SIZE[::-1], 3), dtype=np.uint16)
    rgb[:24] = rgb[:24, :, :1]  # top half neutral (R = G = B), bottom half coloured
    for k, image in enumerate(gray):
        cv2.imwrite(str(tmp_path / "scan" / f"{k:04d}.png"), image)
    (tmp_path / "rgb").mkdir()
    cv2.imwrite(str(tmp_path / "rgb" / "0000.png"), rgb[..., ::-1])
    assert probe(tmp_path / "scan").bit_depth == 16

    transcode(tmp_path / "scan", tmp_path / "out" / "%04d.png", options=EncodeOptions(codec="png"))
    for k, image in enumerate(gray):
        back = cv2.imread(str(tmp_path / "out" / f"{k:04d}.png"), cv2.IMREAD_UNCHANGED)
        assert back.dtype == np.uint16 and all(np.array_equal(back[..., c], image) for c in range(3))

    transcode(tmp_path / "rgb", tmp_path / "rgb_out" / "%04d.tif", options=EncodeOptions(codec="png"))
    back = cv2.imread(str(tmp_path / "rgb_out" / "0000.tif"), cv2.IMREAD_UNCHANGED)[..., ::-1]
    assert back.dtype == np.uint16 and np.array_equal(back[:24], rgb[:24])  # neutral pixels: exact
    # coloured ones keep their luminance; their chroma went through the 8-bit working copy
    assert np.abs(back[24:].astype(int) - rgb[24:]).max() < 3 * 257


def test_sixteen_bit_scan_into_ffv1_keeps_sixteen_bits(tmp_path):
    rng = np.random.default_rng(2)
    (tmp_path / "scan").mkdir()
    image = rng.integers(0, 65536, SIZE[::-1], dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "scan" / "0000.png"), image)
    transcode(tmp_path / "scan", tmp_path / "master.mkv", options=EncodeOptions(codec="ffv1"))
    ((fmt, luma),) = luma_planes(tmp_path / "master.mkv")
    assert fmt == "yuv444p16le" and luma.full_range and np.array_equal(luma.plane, image)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return write_tiny_model(tmp_path_factory.mktemp("model") / "tiny.memo")


def test_archive_master_carries_the_sources_own_luminance(tmp_path, tiny_model):
    planes = deep_film(tmp_path / "ten.mkv", n=6)
    load_pipeline("archive-master", ["colorize.device='cpu'"]).colorize(tmp_path / "ten.mkv", tiny_model,
                                                                      tmp_path / "master.mkv")
    out = luma_planes(tmp_path / "master.mkv")
    assert len(out) == 6 and all(fmt == "yuv444p10le" for fmt, _ in out)
    assert all(np.array_equal(luma.plane, p) for (_, luma), p in zip(out, planes))
    with av.open(str(tmp_path / "master.mkv")) as container:  # and colour beside it
        rgb = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    assert np.abs(rgb - rgb.mean(axis=2, keepdims=True)).mean() > 1
