"""Eval metrics: PSNR / SSIM / CIEDE2000 against skimage, the flicker figure, and evaluate() on files."""

import json
import logging
import math

import av
import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from memovid.color.lab import lab_to_rgb8, rgb8_to_lab
from memovid.errors import InputError
from memovid.report.metrics import (
    Evaluator,
    ab_change,
    evaluate,
    evaluate_arrays,
    mean_ciede2000,
    psnr,
    ssim,
)

H, W = 48, 64


def _luma(img):
    return img.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def _noisy(img, sigma, seed):
    noise = np.random.default_rng(seed).normal(0, sigma, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def _moving_clip(n, seed=0, size=(H, W)):
    """A colour texture drifting 2 px right per frame: the reference's ab changes every frame."""
    rng = np.random.default_rng(seed)
    h, w = size
    base = rng.integers(0, 256, (h // 4 + 1, (w + 2 * n) // 4 + 1, 3), dtype=np.uint8)
    wide = np.kron(base, np.ones((4, 4, 1), np.uint8))[:h]
    return [np.ascontiguousarray(wide[:, 2 * i: 2 * i + w]) for i in range(n)]


def _uniform(lab):
    """An (H, W, 3) uint8 frame of one Lab colour."""
    return lab_to_rgb8(np.broadcast_to(np.float32(lab), (H, W, 3)).copy())


class TestFrameMetrics:
    ref = _moving_clip(1, seed=1)[0]
    out = _noisy(ref, 12.0, seed=2)

    def test_psnr_matches_skimage(self):
        assert psnr(self.out, self.ref) == pytest.approx(
            peak_signal_noise_ratio(self.ref, self.out, data_range=255), abs=1e-9
        )
        assert psnr(self.ref, self.ref) == math.inf

    def test_ssim_matches_skimage_on_luma(self):
        expected = structural_similarity(
            _luma(self.out), _luma(self.ref), gaussian_weights=True, sigma=1.5,
            use_sample_covariance=False, data_range=255,
        )
        got = ssim(self.out, self.ref)
        assert got == pytest.approx(expected, abs=1e-3)
        assert got == pytest.approx(expected, abs=1e-9)  # in fact the same arithmetic
        assert 0.5 < got < 0.99
        assert ssim(self.ref, self.ref) == pytest.approx(1.0, abs=1e-12)

    def test_ssim_needs_one_window(self):
        small = np.zeros((10, 40, 3), np.uint8)
        with pytest.raises(ValueError, match=r"11x11.*\(10, 40\)"):
            ssim(small, small)

    def test_mean_ciede2000_matches_skimage(self):
        lab_out, lab_ref = rgb8_to_lab(self.out), rgb8_to_lab(self.ref)
        got = mean_ciede2000(lab_out, lab_ref)
        assert got == pytest.approx(deltaE_ciede2000(lab_out, lab_ref).mean(), abs=1e-4)
        # and the stock skimage pipeline (its slightly different white) within 0.01
        stock = deltaE_ciede2000(rgb2lab(self.out), rgb2lab(self.ref)).mean()
        assert got == pytest.approx(stock, abs=1e-2)

    def test_ab_change(self):
        prev = np.zeros((4, 5, 2), np.float32)
        cur = prev + np.float32([3.0, 4.0])
        assert ab_change(prev, cur) == pytest.approx(5.0)  # Euclidean in the ab plane
        with pytest.raises(ValueError, match=r"\(H, W, 2\)"):
            ab_change(prev, np.zeros((4, 5, 3), np.float32))

    def test_bad_frames_name_the_shape(self):
        with pytest.raises(ValueError, match=r"output must be a \(H, W, 3\) uint8.*float32"):
            psnr(self.out.astype(np.float32), self.ref)
        with pytest.raises(ValueError, match=r"\(48, 64, 3\) vs \(48, 32, 3\)"):
            ssim(self.out, self.ref[:, :32].copy())


class TestFlicker:
    def test_identical_sequences_are_1(self):
        clip = _moving_clip(5)
        report = evaluate_arrays(clip, clip)
        assert report.flicker == 1.0
        assert report.psnr == math.inf and report.ssim == pytest.approx(1.0)
        assert report.ciede2000 == pytest.approx(0.0, abs=1e-6)
        assert report.ab_change_output == report.ab_change_reference > 5.0

    def test_alternating_colours_give_the_step_ratio(self):
        # Reference alternates grey A / B = A + 10 in a; the output alternates A / C = A + 30 in a:
        # every step of the output moves 3x as far in ab as the reference's.
        a, b, c = _uniform((50, 0, 0)), _uniform((50, 10, 0)), _uniform((50, 30, 0))
        report = evaluate_arrays([a, c] * 3, [a, b] * 3)
        assert report.flicker == pytest.approx(3.0, abs=0.1)  # up to 8-bit rounding of the colours
        lab_a, lab_b, lab_c = (rgb2lab(x[:1, :1])[0, 0] for x in (a, b, c))
        expected = np.linalg.norm(lab_c[1:] - lab_a[1:]) / np.linalg.norm(lab_b[1:] - lab_a[1:])
        assert report.flicker == pytest.approx(expected, rel=2e-3)  # skimage's independent Lab
        assert math.isnan(report.ab_change_output_per_frame[0])  # no previous frame
        assert report.ab_change_reference == pytest.approx(np.linalg.norm(lab_b[1:] - lab_a[1:]), abs=0.01)

    def test_chroma_jitter_on_a_drifting_tint(self):
        # A muted texture whose tint drifts by +4 in a per frame (reference), and the same with a
        # b offset alternating +-6 per frame (output): each output step is (4, +-12) against the
        # reference's (4, 0), so flicker = |(4, 12)| / 4 = sqrt(10).
        rng = np.random.default_rng(3)
        texture = np.stack(
            [rng.uniform(40, 60, (H, W)), rng.uniform(-15, 15, (H, W)), rng.uniform(-15, 15, (H, W))], -1
        ).astype(np.float32)
        reference, output = [], []
        for t in range(8):
            drift = texture + np.float32([0, 4 * t, 0])
            reference.append(lab_to_rgb8(drift))
            output.append(lab_to_rgb8(drift + np.float32([0, 0, 6 if t % 2 else -6])))
        report = evaluate_arrays(output, reference)
        assert report.flicker == pytest.approx(math.sqrt(10), abs=0.08)  # 8-bit rounding
        assert report.ab_change_reference == pytest.approx(4.0, abs=0.15)

    def test_static_reference_and_jittering_output_is_infinite(self):
        frame = _uniform((50, 10, 10))
        jittered = [_uniform((50, 10, 10 + 3 * (t % 2))) for t in range(4)]
        report = evaluate_arrays(jittered, [frame] * 4)
        assert report.flicker == math.inf and report.to_dict()["flicker"] is None

    def test_frozen_output_on_moving_reference_is_0(self):
        reference = _moving_clip(6)
        report = evaluate_arrays([reference[0]] * 6, reference)
        assert report.flicker == 0.0
        assert report.ab_change_output == 0.0 and report.ab_change_reference > 5.0

    def test_single_frame_has_no_flicker(self):
        clip = _moving_clip(1)
        report = evaluate_arrays(clip, clip)
        assert report.frames == 1 and math.isnan(report.flicker)
        assert report.to_dict()["flicker"] is None


class TestEvaluator:
    def test_per_frame_lists_and_json(self):
        reference = _moving_clip(4)
        output = [_noisy(f, 8.0, seed=i) for i, f in enumerate(reference)]
        evaluator = Evaluator()
        for o, r in zip(output, reference):
            evaluator.add(o, r)
        report = evaluator.result()
        assert report.frames == evaluator.frames == 4
        assert report.psnr_per_frame == tuple(psnr(o, r) for o, r in zip(output, reference))
        assert report.psnr == pytest.approx(np.mean(report.psnr_per_frame))
        assert len(report.ab_change_reference_per_frame) == 4
        d = json.loads(json.dumps(report.to_dict(), allow_nan=False))
        assert d["frames"] == 4 and d["psnr"] == pytest.approx(report.psnr)
        assert set(d["per_frame"]) == {"psnr", "ssim", "ciede2000", "ab_change_output", "ab_change_reference"}
        assert d["per_frame"]["ab_change_output"][0] is None
        assert d["per_frame"]["ssim"] == pytest.approx(list(report.ssim_per_frame))

    def test_identical_frames_serialise_infinite_psnr_as_null(self):
        clip = _moving_clip(2)
        d = evaluate_arrays(clip, clip).to_dict()
        assert d["psnr"] is None and d["per_frame"]["psnr"] == [None, None]
        json.dumps(d, allow_nan=False)

    def test_errors(self):
        evaluator = Evaluator()
        with pytest.raises(ValueError, match="no frames"):
            evaluator.result()
        frame = _moving_clip(1)[0]
        evaluator.add(frame, frame)
        smaller = np.ascontiguousarray(frame[:32])
        with pytest.raises(ValueError, match=r"frame 1 is \(32, 64\) but earlier frames were \(48, 64\)"):
            evaluator.add(smaller, smaller)

    def test_length_mismatch_in_arrays(self):
        clip = _moving_clip(5)
        with pytest.raises(ValueError, match="outputs have 3 frames but references have 5"):
            evaluate_arrays(clip[:3], clip)
        assert evaluate_arrays(clip, clip[:3], allow_length_mismatch=True).frames == 3


def _write_lossless(path, frames, fps=25):
    """FFV1 in RGB (bgr0): decodes back to exactly these uint8 frames."""
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "bgr0"
        for img in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        container.mux(stream.encode())
    return path


class TestEvaluateFiles:
    @pytest.fixture
    def clips(self, tmp_path):
        reference = _moving_clip(6, seed=5)
        output = [_noisy(f, 10.0, seed=10 + i) for i, f in enumerate(reference)]
        return (
            _write_lossless(tmp_path / "out.mkv", output),
            _write_lossless(tmp_path / "ref.mkv", reference),
            output,
            reference,
        )

    def test_same_figures_as_the_arrays(self, clips):
        out_path, ref_path, output, reference = clips
        calls = []
        report = evaluate(out_path, ref_path, progress=lambda *args: calls.append(args))
        expected = evaluate_arrays(output, reference)
        assert report == expected
        assert report.frames == 6 and 20 < report.psnr < 40
        assert calls[-1] == ("Evaluating", 6, None) and len(calls) == 6

    def test_max_size_downscales_both(self, clips):
        out_path, ref_path, _, _ = clips
        report = evaluate(out_path, ref_path, max_size=32)
        assert report.frames == 6
        # averaging 2x2 blocks averages the noise away: closer than at full size
        assert report.psnr > evaluate(out_path, ref_path).psnr + 3

    def test_frame_count_mismatch(self, clips, tmp_path):
        out_path, ref_path, output, reference = clips
        short = _write_lossless(tmp_path / "short.mkv", output[:4])
        with pytest.raises(InputError, match=r"short\.mkv has 4 frames but .*ref\.mkv has 6"):
            evaluate(short, ref_path)
        with pytest.raises(InputError, match=r"out\.mkv has 6 frames but .*short\.mkv has 4"):
            evaluate(out_path, short)

    def test_allow_length_mismatch_evaluates_the_common_prefix(self, clips, tmp_path, caplog):
        out_path, ref_path, output, reference = clips
        short = _write_lossless(tmp_path / "short.mkv", output[:4])
        with caplog.at_level(logging.WARNING, logger="memovid"):
            report = evaluate(short, ref_path, allow_length_mismatch=True)
        assert report == evaluate_arrays(output[:4], reference[:4])
        assert "has 4 frames but" in caplog.text and "first 4 frames" in caplog.text

    def test_size_mismatch(self, clips, tmp_path):
        out_path, _, _, reference = clips
        bigger = _write_lossless(tmp_path / "big.mkv", _moving_clip(6, size=(64, 80)))
        with pytest.raises(InputError, match=r"out\.mkv is 64x48 but .*big\.mkv is 80x64"):
            evaluate(out_path, bigger)

    def test_frames_too_small_for_ssim(self, tmp_path):
        tiny = _write_lossless(tmp_path / "tiny.mkv", [np.zeros((8, 16, 3), np.uint8)] * 2)
        with pytest.raises(InputError, match=r"tiny\.mkv is 16x8: .* at least 11x11"):
            evaluate(tiny, tiny)

    def test_missing_file_is_an_input_error(self, clips, tmp_path):
        out_path, _, _, _ = clips
        with pytest.raises(InputError):
            evaluate(out_path, tmp_path / "nope.mkv")
