"""Encode RGB frames to a container (or a PNG sequence), copying the source's audio and subtitles.
A black-and-white film's frames may instead come as ready I420 planes (``write_yuv420``: its own
luma and the painted chroma, memovid.color.ycbcr) where the stream is 8-bit 4:2:0 of their size.

Guarantees a film restorer relies on:
- frame timestamps (pts / time_base) are kept, so variable-frame-rate video stays in sync with audio;
- audio and subtitle packets are copied untouched (no re-encode), interleaved with the video as it
  is written from a second, lazily advanced demux of the source (memory does not grow with length);
- the encoder is always flushed; output goes to a hidden temporary file beside the target (same
  extension, so the same muxer) and is renamed onto the target only when complete. On any error,
  KeyboardInterrupt included, the temporary file is removed and the target is left untouched;
- odd sizes for chroma-subsampled formats (4:2:0, 4:2:2) are PADDED by replicating the last
  column / row, never cropped: every source pixel is kept, frame count and timing are unchanged,
  and the output is at most one pixel wider / taller than the frames;
- frames of a deep source (``Frame.luma``) are written at its depth where the codec can hold it
  (``CodecSpec.deep``): the source's own luminance plane with the picture's chroma beside it
  (memovid.video.depth); where the codec cannot, one warning says the depth is reduced.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import av
import cv2
import numpy as np

from memovid.errors import InputError, OutputError, RunError
from memovid.log import warn_once
from memovid.video import depth, imageseq
from memovid.video.frame import Frame
from memovid.video.options import CODECS, DEFAULT_FPS, EncodeOptions
from memovid.video.passthrough import StreamCopier
from memovid.video.media import open_input, video_stream_of

# Colour matrices swscale can convert with, by FFmpeg's AVColorSpace number (smpte170m -> bt601).
_SWS_COLORSPACE = {1: 1, 5: 5, 6: 5, 7: 7, 9: 9}
_BT601 = 5
# Audio/subtitle packets are muxed up to this far ahead of the last video frame written (seconds).
_AUX_LEAD = 0.5


@dataclass(frozen=True)
class WriteResult:
    """frames written, wall-clock ``seconds`` spent, final ``path``, ``duration`` of the video (s)."""

    frames: int
    seconds: float
    path: Path
    duration: float | None = None


def is_sequence_target(output: str | Path) -> bool:
    """Outputs that name an image sequence: a printf pattern, an existing folder, or no extension."""
    p = Path(output)
    return imageseq.is_image_sequence(p) or p.suffix == ""


def check_paths(input: str | Path | None, output: str | Path, overwrite: bool = False) -> None:
    """Refuse early what would fail late: missing input, output that exists, output that is the input.

    InputError when ``input`` is missing; OutputError when ``output`` exists (file, or non-empty
    folder of a sequence) and not ``overwrite``, or resolves to the input itself.
    """
    out = Path(output)
    if input is not None:
        src = Path(input)
        if imageseq.is_image_sequence(src) and not src.is_dir():
            imageseq.list_images(src)
        elif not src.exists():
            raise InputError(f"{src}: no such file")
        same = src.resolve() == out.resolve() or (out.exists() and os.path.samefile(src, out))
        if same:
            raise OutputError(f"{out}: output is the input file")
    folder = out.parent if imageseq.is_image_sequence(out) and not out.is_dir() else out
    exists = (folder.is_dir() and any(folder.iterdir())) if folder.is_dir() else out.exists()
    if exists and not overwrite:
        raise OutputError(f"{out} exists; use --overwrite to replace it")


class VideoWriter:
    """Context manager returned by ``open_writer``; call ``write(frame)`` for each frame in order."""

    def __init__(self, output: str | Path, *, source: str | Path | None, options: EncodeOptions,
                 overwrite: bool, fps: Fraction | float | None, size: tuple[int, int] | None) -> None:
        self.target = Path(output)
        check_paths(source, self.target, overwrite)
        if is_sequence_target(self.target) and not options.spec.image_sequence:
            if options.codec != EncodeOptions().codec:
                raise OutputError(f"{self.target}: an image-sequence output needs an image codec, "
                                  f"not {options.codec}")
            options = EncodeOptions(codec="png")
        if options.spec.image_sequence and not is_sequence_target(self.target):
            raise OutputError(f"{self.target}: codec {options.codec} writes an image sequence: give a "
                              "folder or a pattern such as out/%05d.png")
        self.options = options
        self.source = Path(source) if source is not None and not imageseq.is_image_sequence(source) else None
        self.size = size
        self.fps = Fraction(fps) if fps is not None else None
        self.frames = 0
        self._started = time.perf_counter()
        self._last_time: float | None = None
        self._last_pts: int | None = None
        self._sequence: imageseq.SequenceWriter | None = None
        self._out: av.container.OutputContainer | None = None
        self._aux: StreamCopier | None = None
        self._closed = False
        self._deep: tuple[str, int] | None = None
        self._colorspace = self._source_colorspace()
        if options.spec.image_sequence:
            self._sequence = imageseq.SequenceWriter(self.target, overwrite)
        else:
            self._open_container()

    # -- setup ---------------------------------------------------------------------------------

    def _open_container(self) -> None:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{self.target.stem}.", suffix=f".memovid-tmp{self.target.suffix}",
                                    dir=self.target.parent)
        os.close(fd)
        self.temp = Path(temp)
        try:
            self._out = av.open(str(self.temp), "w")
        except (av.error.FFmpegError, ValueError) as error:
            self.temp.unlink(missing_ok=True)
            raise OutputError(f"{self.target}: cannot write this container ({error})") from None
        self._video: av.VideoStream | None = None
        self._source_video = None
        try:
            if self.source is not None:
                with open_input(self.source) as probe_in:
                    src = video_stream_of(probe_in, self.source)
                    self._source_video = {
                        "rate": src.average_rate or src.guessed_rate,
                        "colorspace": src.codec_context.colorspace,
                        "primaries": src.codec_context.color_primaries,
                        "trc": src.codec_context.color_trc,
                    }
            self._aux = StreamCopier(self.source, self._out, audio=self.options.copy_audio,
                                     subtitles=self.options.copy_subtitles, target=self.target)
        except BaseException:
            self._discard()
            raise

    def _source_colorspace(self) -> int | None:
        """The source's colour matrix (AVColorSpace), which a deep picture's chroma is computed with."""
        if self.source is None:
            return None
        with open_input(self.source) as probe_in:
            return video_stream_of(probe_in, self.source).codec_context.colorspace

    def _choose_depth(self, frame: Frame) -> None:
        """Take the pixel format that holds the source's depth; say once when the codec cannot."""
        luma = frame.luma
        if luma is None:
            return
        if self.options.pix_fmt is not None:
            chosen = self.options.pix_fmt
            fits = depth.is_yuv(chosen) and depth.bits_of(chosen) > 8
            self._deep = (chosen, depth.bits_of(chosen)) if fits else None
        elif self._sequence is not None and self._sequence.suffix not in imageseq.DEEP_EXTENSIONS:
            self._deep = None
        else:
            self._deep = self.options.spec.deep_pix_fmt(luma.bits)
        kept = self._deep[1] if self._deep else 8
        if kept < luma.bits:
            keeps = ", ".join(f"{name} {max(spec.deep)}" for name, spec in CODECS.items() if spec.deep)
            warn_once(f"depth:{self.target}", "%s: %s writes %d-bit pictures; the source's %d-bit "
                      "luminance is reduced (bits each codec keeps: %s)", self.target, self.options.codec,
                      kept, luma.bits, keeps)

    def _open_video(self, frame: Frame) -> None:
        height, width = frame.image.shape[:2]
        if self.size is not None:
            width, height = self.size
        self._choose_depth(frame)
        pix_fmt = self._deep[0] if self._deep else self.options.resolved_pix_fmt
        self._pad = _chroma_padding(pix_fmt, width, height)
        src = self._source_video or {}
        rate = self.fps or src.get("rate") or DEFAULT_FPS
        self._rate = Fraction(rate)
        self._use_pts = frame.pts is not None and frame.time_base is not None
        time_base = Fraction(frame.time_base) if self._use_pts else 1 / Fraction(rate)
        self._time_base = time_base
        stream = self._out.add_stream(self.options.spec.encoder, rate=Fraction(rate),
                                      options=self.options.encoder_options())
        stream.width, stream.height = width + self._pad[0], height + self._pad[1]
        stream.pix_fmt = pix_fmt
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        if depth.is_yuv(pix_fmt):  # RGB-coded ffv1 has no colour matrix to tag
            colorspace = src.get("colorspace")
            colorspace = colorspace if colorspace in _SWS_COLORSPACE else _BT601
            stream.codec_context.colorspace = colorspace
            if self._deep:
                stream.codec_context.color_range = 2 if frame.luma.full_range else 1
            if src.get("primaries") not in (None, 2):
                stream.codec_context.color_primaries = src["primaries"]
            if src.get("trc") not in (None, 2):
                stream.codec_context.color_trc = src["trc"]
            self._sws_colorspace = _SWS_COLORSPACE[colorspace]
        else:
            self._sws_colorspace = None
        self._frame_size = (height, width)
        self._video = stream

    # -- writing -------------------------------------------------------------------------------

    def write(self, frame: Frame) -> None:
        """Encode one frame: image (H, W, 3) uint8 RGB (or (H, W) uint8 luma), same size every time.
        The image is consumed before this returns (callers may reuse its array for the next frame)."""
        image = frame.image
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
            raise InputError(f"frames must be (H, W, 3) or (H, W) uint8, got {image.shape} {image.dtype}")
        luma = frame.luma
        if luma is not None and luma.plane.shape != image.shape[:2]:
            raise InputError(f"frame {frame.index}: its luminance is {luma.plane.shape[1]}x{luma.plane.shape[0]}, "
                             f"its picture {image.shape[1]}x{image.shape[0]}")
        if self._sequence is not None:
            if self.frames == 0:
                self._choose_depth(frame)
            self._sequence.write(depth.deep_rgb(image, luma, self._colorspace)
                                 if self._deep and luma is not None else image)
            self.frames += 1
            return
        if self._video is None:
            self._open_video(frame)
        if image.shape[:2] != self._frame_size:
            raise InputError(f"frame {frame.index} is {image.shape[1]}x{image.shape[0]}, the video is "
                             f"{self._frame_size[1]}x{self._frame_size[0]}")
        if any(self._pad):
            image = cv2.copyMakeBorder(image, 0, self._pad[1], 0, self._pad[0], cv2.BORDER_REPLICATE)
        if self._deep and luma is not None:
            plane = luma.plane
            if any(self._pad):
                plane = cv2.copyMakeBorder(plane, 0, self._pad[1], 0, self._pad[0], cv2.BORDER_REPLICATE)
            av_frame = depth.deep_frame(image, replace(luma, plane=plane), self._deep[0], self._colorspace)
        else:
            av_frame = av.VideoFrame.from_ndarray(image, format="rgb24" if image.ndim == 3 else "gray8")
            if self._sws_colorspace is not None:
                av_frame = av_frame.reformat(format=self._video.pix_fmt, dst_colorspace=self._sws_colorspace)
        self._encode(av_frame, frame)

    def yuv420_weights(self, frame: Frame) -> tuple[float, float] | None:
        """The colour matrix's luma weights (Kr, Kb) when ``frame`` (the next to write) may be handed
        over as I420 planes (``write_yuv420``): a black-and-white picture ((H, W) uint8, no deeper
        luminance) going into an 8-bit 4:2:0 video stream of its own size, even on both sides.
        None otherwise (image sequences, RGB and deep codecs, odd sizes): then ``write`` it as RGB."""
        image = frame.image
        if self._sequence is not None or frame.luma is not None or image.ndim != 2 or image.dtype != np.uint8:
            return None
        if self._video is None:
            self._open_video(frame)
        if self._deep or self._video.pix_fmt != "yuv420p" or any(self._pad) or image.shape != self._frame_size:
            return None
        return depth.weights(self._video.codec_context.colorspace)

    def rgb_luma_weights(self, frame: Frame) -> tuple[float, float]:
        """(Kr, Kb) of the matrix an RGB picture ``write`` takes now is turned into Y'CbCr with: what a
        black-and-white film's colour picture is built around (memovid.color.ycbcr.luma_colour_rgb8),
        so that the Y' coded is the film's luma whatever the codec (ProRes, 10-bit H.265, padded
        sizes). BT.601's where nothing converts (image sequences, RGB-coded video), by convention."""
        if self._sequence is None and self._video is None:
            self._open_video(frame)
        if self._sequence is not None or self._sws_colorspace is None:
            return depth.weights(None)
        return depth.weights(self._video.codec_context.colorspace)

    def write_yuv420(self, frame: Frame, planes: np.ndarray) -> None:
        """Encode one frame given as a (3H/2, W) uint8 I420 buffer: studio-range Y', then Cb and Cr at
        (H/2, W/2), in the matrix ``yuv420_weights`` named (ask it first). ``frame`` gives the
        timing; its picture is not read. The buffer is copied before this returns."""
        H, W = self._frame_size
        if planes.shape != (H * 3 // 2, W) or planes.dtype != np.uint8:
            raise InputError(f"frame {frame.index}: I420 planes must be ({H * 3 // 2}, {W}) uint8, "
                             f"got {planes.shape} {planes.dtype}")
        self._encode(av.VideoFrame.from_ndarray(planes, format="yuv420p"), frame)

    def _encode(self, av_frame: av.VideoFrame, frame: Frame) -> None:
        """Time-stamp ``av_frame`` from ``frame``, encode and mux it, then the audio up to it."""
        pts = frame.pts if self._use_pts else self.frames
        if self._last_pts is not None and pts <= self._last_pts:
            # decode already gives increasing times (memovid.video.timeline); frames made elsewhere may
            # not, and a muxer refuses them: one tick later keeps the frame and the sync.
            pts = self._last_pts + 1
        self._last_pts = pts
        av_frame.pts = pts
        av_frame.time_base = self._time_base
        try:
            self._out.mux(self._video.encode(av_frame))
        except av.error.FFmpegError as error:
            raise RunError(f"{self.target}: encoder failed at frame {frame.index} ({error})") from None
        self.frames += 1
        self._last_time = float(av_frame.pts * self._time_base)
        self._aux.mux_until(self._last_time + _AUX_LEAD)

    # -- finishing -----------------------------------------------------------------------------

    def close(self) -> WriteResult:
        """Flush the encoder, copy the remaining audio/subtitles, and move the file into place."""
        if self._closed:
            raise RunError(f"{self.target}: writer already closed")
        self._closed = True
        if self.frames == 0:
            self._discard()
            raise InputError(f"{self.target}: no frames to write")
        if self._sequence is not None:
            self._sequence.commit()
        else:
            try:
                self._out.mux(self._video.encode())
                self._aux.mux_until(None)
                self._out.close()
            except av.error.FFmpegError as error:
                self._discard()
                raise RunError(f"{self.target}: encoder failed while finishing ({error})") from None
            finally:
                self._aux.close()
            os.replace(self.temp, self.target)
        duration = self._last_time + float(1 / self._rate) if self._last_time is not None else None
        return WriteResult(self.frames, time.perf_counter() - self._started, self.target, duration)

    def _discard(self) -> None:
        """Drop everything written so far; the target is never touched."""
        self._closed = True
        if self._sequence is not None:
            self._sequence.discard()
            return
        if self._aux is not None:
            self._aux.close()
        for container in (self._out,):
            if container is not None:
                try:
                    container.close()
                except (av.error.FFmpegError, OSError, ValueError):
                    pass  # closing a half-written file can fail; it is deleted next anyway
        self.temp.unlink(missing_ok=True)

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.result = self.close()
        elif not self._closed:
            self._discard()
        return False


def _chroma_padding(pix_fmt: str, width: int, height: int) -> tuple[int, int]:
    """Columns / rows to add so that chroma subsampling divides the size ((0, 0) for 4:4:4 / RGB)."""
    sub_w, sub_h = depth.chroma_subsampling(pix_fmt)
    return (-width) % sub_w, (-height) % sub_h


def open_writer(output: str | Path, *, source: str | Path | None = None,
                options: EncodeOptions = EncodeOptions(), overwrite: bool = False,
                fps: Fraction | float | None = None, size: tuple[int, int] | None = None) -> VideoWriter:
    """A writer for ``output``; use as ``with open_writer(...) as w: w.write(frame)``.

    source: the input the frames came from; its audio/subtitles are copied, its frame rate and
    colour tags reused. fps: rate when frames carry no pts (image sequences), default source or 25.
    size: (width, height) expected of every frame, default the first frame's.
    After a clean ``with`` block the WriteResult is in ``writer.result``.
    """
    return VideoWriter(output, source=source, options=options, overwrite=overwrite, fps=fps, size=size)


def write_video(frames: Iterable[Frame], output: str | Path, **kwargs) -> WriteResult:
    """Write every frame of ``frames`` to ``output``; keywords as ``open_writer``."""
    with open_writer(output, **kwargs) as writer:
        for frame in frames:
            writer.write(frame)
    return writer.result
