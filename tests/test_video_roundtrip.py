"""Decode -> encode round trips: frame count, timestamps, copied audio/subtitles, odd sizes, 10 bit,
lossless output and image sequences."""

from fractions import Fraction

import cv2
import numpy as np
import pytest

from mediagen import make_image_sequence, make_video, moving_shapes, packet_bytes, video_pts
from memovid.video import EncodeOptions, probe, read_frames, transcode, write_video
from memovid.video.frame import Frame


def test_round_trip_keeps_frames_timestamps_and_audio_bytes(tmp_path):
    src = make_video(tmp_path / "in.mp4", n=20, size=(64, 48))
    calls = []
    result = transcode(src, tmp_path / "out.mp4", progress=lambda *a: calls.append(a))

    assert result.frames == 20
    assert video_pts(tmp_path / "out.mp4") == video_pts(src)
    audio_in, audio_out = packet_bytes(src, "audio"), packet_bytes(tmp_path / "out.mp4", "audio")
    assert len(audio_in) > 10 and audio_out == audio_in
    assert calls[-1] == ("transcode", 20, 20)
    info = probe(tmp_path / "out.mp4")
    assert (info.width, info.height, info.fps, info.frames) == (64, 48, Fraction(25), 20)
    assert info.audio[0].codec == "aac" and info.audio[0].sample_rate == 48000


def test_round_trip_pictures_stay_close(tmp_path):
    src = make_video(tmp_path / "in.mp4", n=6, size=(64, 48), audio=False)
    transcode(src, tmp_path / "out.mp4")
    for a, b in zip(read_frames(src), read_frames(tmp_path / "out.mp4"), strict=True):
        # crf 18 re-encode of a tiny textured clip (chroma resampled twice): about 33-35 dB here.
        assert psnr(a.image, b.image) > 30


def psnr(a, b):
    return 10 * np.log10(255**2 / np.mean((a.astype(float) - b) ** 2))


def test_subtitles_and_pcm_audio_copied_as_packets(tmp_path):
    src = make_video(tmp_path / "in.mkv", n=30, audio="pcm", subtitles=True)
    transcode(src, tmp_path / "out.mkv")
    assert packet_bytes(tmp_path / "out.mkv", "subtitle") == packet_bytes(src, "subtitle") != []
    assert [b for _, b in packet_bytes(tmp_path / "out.mkv", "audio")] == [b for _, b in packet_bytes(src, "audio")]


def test_vfr_input_keeps_its_timestamps(tmp_path):
    pts = [0, 4, 6, 12, 13, 20, 28, 29, 40, 41]  # units of 1/100 s: irregular gaps
    src = make_video(tmp_path / "vfr.mp4", n=len(pts), vfr_pts=pts)
    assert probe(src).is_vfr is True
    transcode(src, tmp_path / "out.mp4")
    assert video_pts(tmp_path / "out.mp4") == pytest.approx([p / 100 for p in pts])


def test_odd_size_is_padded_by_one_pixel_and_keeps_count_and_timing(tmp_path):
    src = make_video(tmp_path / "odd.mkv", n=5, size=(321, 241), codec="ffv1", pix_fmt="bgr0", audio=False)
    original = [f.image for f in read_frames(src)]
    assert original[0].shape == (241, 321, 3)
    transcode(src, tmp_path / "out.mp4")
    out = list(read_frames(tmp_path / "out.mp4"))
    assert len(out) == 5 and out[0].image.shape == (242, 322, 3)
    assert video_pts(tmp_path / "out.mp4") == video_pts(src)
    # The padding replicates the last column/row; the picture itself is not shifted or scaled.
    assert np.abs(out[2].image[:241, :321].astype(int) - original[2]).mean() < 4
    assert np.abs(out[2].image[:241, 321].astype(int) - out[2].image[:241, 320]).mean() < 4


def test_ten_bit_input_decodes_to_8_bit(tmp_path):
    src = make_video(tmp_path / "ten.mkv", n=4, codec="ffv1", pix_fmt="yuv420p10le", audio=False)
    info = probe(src)
    assert (info.pix_fmt, info.bit_depth) == ("yuv420p10le", 10)
    frames = list(read_frames(src))
    assert len(frames) == 4 and frames[0].image.dtype == np.uint8 and frames[0].image.shape == (48, 64, 3)
    # Luma is not subsampled: the 10 -> 8 bit reduction alone costs well under one level.
    gray = next(iter(read_frames(src, mode="gray"))).image
    reference = cv2.cvtColor(next(moving_shapes(1, (64, 48))), cv2.COLOR_RGB2GRAY)
    assert np.abs(gray.astype(int) - reference).mean() < 1


def test_ffv1_output_is_lossless(tmp_path):
    images = list(moving_shapes(4, (40, 30), seed=3))
    write_video((Frame(im, i) for i, im in enumerate(images)), tmp_path / "out.mkv",
                options=EncodeOptions(codec="ffv1"))
    for frame, image in zip(read_frames(tmp_path / "out.mkv"), images, strict=True):
        np.testing.assert_array_equal(frame.image, image)


def test_prores_output(tmp_path):
    src = make_video(tmp_path / "in.mp4", n=3, audio=False)
    transcode(src, tmp_path / "out.mov", options=EncodeOptions(codec="prores"))
    info = probe(tmp_path / "out.mov")
    assert (info.codec, info.pix_fmt, info.frames) == ("prores", "yuv422p10le", 3)


def test_image_sequence_round_trip(tmp_path):
    make_image_sequence(tmp_path / "frames", n=6, size=(48, 32))
    info = probe(tmp_path / "frames")
    assert info.is_image_sequence and (info.frames, info.width, info.height) == (6, 48, 32)

    # folder of PNGs -> video (pts None: index / 25 fps) -> PNG folder (lossless, bit-exact)
    write_video(read_frames(tmp_path / "frames"), tmp_path / "seq.mkv", options=EncodeOptions(codec="ffv1"))
    assert video_pts(tmp_path / "seq.mkv") == pytest.approx([i / 25 for i in range(6)])
    transcode(tmp_path / "seq.mkv", tmp_path / "out" / "%04d.png", options=EncodeOptions(codec="png"))
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [f"{i:04d}.png" for i in range(6)]
    for a, b in zip(read_frames(tmp_path / "frames"), read_frames(tmp_path / "out/%04d.png"), strict=True):
        np.testing.assert_array_equal(a.image, b.image)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_image_sequence_sorted_by_number_and_printf_pattern(tmp_path):
    for i in (1, 2, 10):
        make_image_sequence(tmp_path / "f", n=1, pattern=f"shot{i}", seed=i)
    folder = [f.image for f in read_frames(tmp_path / "f")]
    assert len(folder) == 3
    expected = [next(moving_shapes(1, (64, 48), seed=i)) for i in (1, 2, 10)]
    for got, want in zip(folder, expected):
        np.testing.assert_array_equal(got, want)
    make_image_sequence(tmp_path / "g", n=3, start=1)
    frames = list(read_frames(tmp_path / "g" / "%05d.png"))
    assert [f.index for f in frames] == [0, 1, 2] and frames[0].pts is None
