"""DPX, the film scanners' format: read at its depth through FFmpeg's decoder (OpenCV has none)."""

import av
import numpy as np
import pytest

from memovid.errors import OutputError
from memovid.video import read_frames
from memovid.video.imageseq import SequenceWriter, read_deep_image, read_image, sequence_info


def _write_dpx(path, rgb16):
    """One DPX picture of (H, W, 3) uint16 RGB values, written by FFmpeg's encoder (lossless)."""
    with av.open(str(path), "w", format="image2") as out:
        stream = out.add_stream("dpx", rate=1)
        stream.width, stream.height, stream.pix_fmt = rgb16.shape[1], rgb16.shape[0], "rgb48le"
        out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb16, format="rgb48le")))
        out.mux(stream.encode(None))


@pytest.fixture
def scans(tmp_path):
    rng = np.random.default_rng(5)
    pictures = [rng.integers(0, 65536, (24, 32, 3), dtype=np.uint16) for _ in range(3)]
    pictures[0][:] = 1000  # a neutral patch: its luma is exact
    for i, rgb16 in enumerate(pictures):
        _write_dpx(tmp_path / f"scan_{i:04d}.dpx", rgb16)
    return tmp_path, pictures


def test_a_dpx_scan_keeps_its_16_bits(scans):
    folder, pictures = scans
    working, deep = read_deep_image(folder / "scan_0001.dpx")
    np.testing.assert_array_equal(deep, pictures[1])
    assert working.dtype == np.uint8 and np.abs(working.astype(int) - np.rint(pictures[1] / 257.0)).max() <= 1
    assert read_image(folder / "scan_0002.dpx", "gray").shape == (24, 32)
    info = sequence_info(folder)
    assert (info.codec, info.bit_depth, info.width, info.height) == ("dpx", 16, 32, 24)


def test_a_dpx_folder_reads_as_a_film_with_its_deep_luma(scans):
    folder, pictures = scans
    frames = list(read_frames(folder, mode="rgb"))
    assert [f.index for f in frames] == [0, 1, 2]
    assert frames[0].luma is not None and frames[0].luma.bits == 16
    assert int(np.median(frames[0].luma.plane)) == pytest.approx(1000, abs=2)


def test_writing_dpx_is_refused_before_anything_is_made(tmp_path):
    with pytest.raises(OutputError, match="DPX is read only"):
        SequenceWriter(tmp_path / "out" / "%05d.dpx", overwrite=False)
    assert not (tmp_path / "out").exists()
