"""Streaming decode: one pass over a video file or image sequence, one ``Frame`` at a time.

Memory stays bounded whatever the film's length: frames are produced as packets are demuxed, and
``prefetch=N`` lets a background thread run at most N frames ahead.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import cv2
import numpy as np

from memovid.errors import InputError
from memovid.log import logger
from memovid.video.prefetch import prefetch as prefetch_iter
from memovid.video import imageseq
from memovid.video.frame import Frame
from memovid.video.options import DEFAULT_FPS
from memovid.video.media import open_input, video_stream_of

MODES = ("rgb", "gray")
# A stream ending this many frame durations before the header's duration is reported as truncated.
_TRUNCATION_FRAMES = 2
_TRUNCATION_SECONDS = 0.5


def fit_within(width: int, height: int, max_size: int | None) -> tuple[int, int]:
    """(width, height) scaled down so that max(width, height) <= max_size, aspect kept."""
    if max_size is None or max(width, height) <= max_size:
        return width, height
    scale = max_size / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def read_frames(
    source: str | Path,
    *,
    mode: str = "rgb",
    max_size: int | None = None,
    start_time: float | None = None,
    end_time: float | None = None,
    threads: bool = True,
    prefetch: int = 0,
) -> Iterator[Frame]:
    """Frames of ``source`` (video file, image folder or printf pattern) in presentation order.

    mode: "rgb" -> image (H, W, 3) uint8 RGB; "gray" -> (H, W) uint8 luma, full range 0-255 (the
    decoder's Y plane, range-expanded, no RGB round trip). Deeper sources are reduced to 8 bit.
    max_size: downscale (area averaging) so that max(H, W) <= max_size, aspect ratio kept.
    start_time / end_time: seconds from the start of the file, [start, end). Seeks to the keyframe
    before start and drops frames before it; ``Frame.index`` stays relative to the whole file
    (from pts and the average frame rate after a seek, so exact for constant-rate video).
    threads: let the decoder use frame/slice threads. prefetch: frames decoded ahead in a thread.
    Damaged packets are skipped (one warning at the end with the count); errors opening the input
    raise InputError naming the file.
    """
    if mode not in MODES:
        raise InputError(f"mode must be one of {MODES}, got {mode!r}")
    if max_size is not None and max_size < 1:
        raise InputError(f"max_size must be >= 1, got {max_size}")
    if start_time is not None and end_time is not None and end_time <= start_time:
        raise InputError(f"end_time {end_time} must be after start_time {start_time}")
    if imageseq.is_image_sequence(source):
        frames = _read_sequence(source, mode, max_size, start_time, end_time)
    else:
        frames = _read_video(Path(source), mode, max_size, start_time, end_time, threads)
    return prefetch_iter(frames, prefetch)


def _read_sequence(source, mode, max_size, start_time, end_time) -> Iterator[Frame]:
    files = imageseq.list_images(source)
    first = math.ceil(start_time * DEFAULT_FPS) if start_time else 0
    stop = math.ceil(end_time * DEFAULT_FPS) if end_time is not None else None
    for index, image in imageseq.read_sequence(files, mode, first, stop):
        yield Frame(_downscale(image, max_size), index)


def _read_video(path: Path, mode, max_size, start_time, end_time, threads) -> Iterator[Frame]:
    with open_input(path) as container:
        stream = video_stream_of(container, path)
        if threads:
            stream.thread_type = "AUTO"
        time_base = stream.time_base
        origin = stream.start_time or 0
        rate = stream.average_rate or stream.guessed_rate or DEFAULT_FPS
        start_pts = origin + int(start_time / time_base) if start_time else None
        end_pts = origin + int(math.ceil(end_time / time_base)) if end_time is not None else None
        if start_pts is not None:
            container.seek(start_pts, stream=stream, backward=True)

        damage = _Damage()
        index: int | None = None if start_pts is not None else 0
        last_pts: int | None = None
        for frame in _decode_tolerant(container, stream, damage):
            pts = frame.pts
            if start_pts is not None and pts is not None and pts < start_pts:
                continue
            if end_pts is not None and pts is not None and pts >= end_pts:
                break
            if index is None:  # first frame after a seek: place it on the whole file's frame grid
                index = round((pts - origin) * time_base * rate) if pts is not None else 0
            yield Frame(_to_array(frame, mode, max_size), index, pts, Fraction(time_base))
            index += 1
            last_pts = pts if pts is not None else last_pts

        if end_pts is None:
            damage.check_truncation(container, stream, last_pts, rate)
        damage.report(path)


class _Damage:
    """Counts what went wrong while decoding so that one warning can say it all at the end."""

    def __init__(self) -> None:
        self.packets = 0
        self.concealed = 0
        self.truncated: str | None = None

    def check_truncation(self, container, stream, last_pts, rate) -> None:
        expected = None
        if stream.duration:
            expected = float((stream.start_time or 0) * stream.time_base + stream.duration * stream.time_base)
            slack = _TRUNCATION_FRAMES / float(rate)
        elif container.duration:
            expected = container.duration / av.time_base + (container.start_time or 0) / av.time_base
            slack = max(_TRUNCATION_SECONDS, _TRUNCATION_FRAMES / float(rate))
        if expected is None or last_pts is None:
            return
        end = float(last_pts * stream.time_base) + 1 / float(rate)
        if end < expected - slack:
            self.truncated = f"video ends at {end:.2f} s but the header says {expected:.2f} s (truncated?)"

    def report(self, path: Path) -> None:
        parts = []
        if self.packets:
            parts.append(f"{self.packets} corrupt packet(s) skipped")
        if self.concealed:
            parts.append(f"{self.concealed} damaged frame(s) concealed by the decoder")
        if self.truncated:
            parts.append(self.truncated)
        if parts:
            logger.warning("%s: %s", path, "; ".join(parts))


def _decode_tolerant(container, stream, damage: _Damage) -> Iterator[av.VideoFrame]:
    """Decode packet by packet; a packet the decoder rejects is counted and skipped."""
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()  # the flush packet (size 0) drains the decoder at the end
            except av.error.FFmpegError:
                damage.packets += 1
                continue
            for frame in frames:
                damage.concealed += frame.is_corrupt
                yield frame
    except av.error.FFmpegError:
        # The demuxer itself gave up (cut-off file): what was decoded stands.
        damage.packets += 1


def _to_array(frame: av.VideoFrame, mode: str, max_size: int | None) -> np.ndarray:
    """Convert at full size, then area-average down: OpenCV's INTER_AREA is the reference
    downscale (swscale's AREA filters chroma at its own subsampled size and drifts from it)."""
    if mode == "gray":
        # gray8 from YUV copies the Y plane; asking for full range expands studio-range 16-235 luma.
        image = frame.to_ndarray(format="gray8", dst_color_range="JPEG")
    else:
        image = frame.to_ndarray(format="rgb24")
    return _downscale(image, max_size)


def _downscale(image: np.ndarray, max_size: int | None) -> np.ndarray:
    size = fit_within(image.shape[1], image.shape[0], max_size)
    if size == (image.shape[1], image.shape[0]):
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
