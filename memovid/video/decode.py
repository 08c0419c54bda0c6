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
import av.filter
import cv2
from av.bitstream import BitStreamFilterContext, bitstream_filters_available
import numpy as np

from memovid.errors import DependencyError, InputError
from memovid.log import logger, warn_once
from memovid.video.prefetch import prefetch as prefetch_iter
from memovid.video import depth, imageseq
from memovid.video.frame import Frame, Luma
from memovid.video.options import DEFAULT_FPS
from memovid.video.media import open_input, video_stream_of
from memovid.video.timeline import LOST, Timeline

MODES = ("rgb", "gray")
_DEINTERLACERS = ("bwdif", "yadif")
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
    deinterlace: bool = False,
) -> Iterator[Frame]:
    """Frames of ``source`` (video file, image folder or printf pattern) in presentation order.

    mode: "rgb" -> image (H, W, 3) uint8 RGB; "gray" -> (H, W) uint8 luma, full range 0-255 (the
    decoder's Y plane, range-expanded, no RGB round trip). Deeper sources are reduced to 8 bit there,
    and at full size (no max_size reduction) their own luminance comes along in ``Frame.luma``.
    max_size: downscale (area averaging) so that max(H, W) <= max_size, aspect ratio kept.
    start_time / end_time: seconds from the start of the file, [start, end). Seeks to the keyframe
    before start and drops frames before it; ``Frame.index`` stays relative to the whole file
    (from pts and the average frame rate after a seek, so exact for constant-rate video).
    threads: let the decoder use frame/slice threads. prefetch: frames decoded ahead in a thread.
    deinterlace: weave every picture's two fields into one frame with FFmpeg's bwdif (yadif where this
    FFmpeg lacks it), one frame out per frame in, timing kept (``deinterlacer``).
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
        if deinterlace:
            raise InputError(f"{source}: an image sequence is read as it is; deinterlacing is for video files")
        frames = _read_sequence(source, mode, max_size, start_time, end_time)
    else:
        frames = _read_video(Path(source), mode, max_size, start_time, end_time, threads, deinterlace)
    return prefetch_iter(frames, prefetch)


def _read_sequence(source, mode, max_size, start_time, end_time) -> Iterator[Frame]:
    files = imageseq.list_images(source)
    first = math.ceil(start_time * DEFAULT_FPS) if start_time else 0
    stop = math.ceil(end_time * DEFAULT_FPS) if end_time is not None else None
    for index, image, deep in imageseq.read_sequence(files, mode, first, stop):
        small = _downscale(image, max_size)
        luma = depth.luma_of_rgb(deep) if deep is not None and small is image else None
        yield Frame(small, index, luma=luma)


def _read_video(path: Path, mode, max_size, start_time, end_time, threads, deinterlace) -> Iterator[Frame]:
    with open_input(path) as container:
        stream = video_stream_of(container, path)
        if threads:
            stream.thread_type = "AUTO"
        time_base = stream.time_base
        colorspace = stream.codec_context.colorspace
        origin = stream.start_time or 0
        rate = stream.average_rate or stream.guessed_rate or DEFAULT_FPS
        start_pts = origin + int(start_time / time_base) if start_time else None
        end_pts = origin + int(math.ceil(end_time / time_base)) if end_time is not None else None
        if start_pts is not None:
            container.seek(start_pts, stream=stream, backward=True)

        damage = _Damage(time_base)
        step = max(1, round(1 / (rate * time_base)))
        timeline: Timeline[av.VideoFrame] = Timeline(step, fill_gaps=step == 1)
        index: int | None = None if start_pts is not None else 0
        last: Frame | None = None
        decoded = _decode_tolerant(container, stream, damage)
        if deinterlace:
            decoded = _deinterlaced(decoded, stream)
        for picture, pts in _placed(decoded, timeline):
            if start_pts is not None and pts < start_pts:
                continue
            if end_pts is not None and pts >= end_pts:
                break
            if index is None:  # first frame after a seek: place it on the whole file's frame grid
                index = round((pts - origin) * time_base * rate)
            if picture is LOST:
                if last is None:  # nothing to repeat yet: the film starts at its first picture
                    damage.unfilled += 1
                    continue
                damage.filled(pts)
                image, luma = last.image, last.luma
            else:
                image, luma = _to_array(picture, mode, max_size, colorspace)
            last = Frame(image, index, pts, Fraction(time_base), luma)
            yield last
            index += 1

        damage.unfilled += timeline.dropped
        if timeline.repaired:
            logger.info("%s: %d frame(s) had missing or out-of-order timestamps; placed one frame "
                        "after the previous", path, timeline.repaired)
        if last is None and start_pts is None:
            raise InputError(f"{path}: no picture could be decoded "
                             f"({damage.summary() or 'the video stream is empty or unreadable'})")
        if end_pts is None:
            damage.check_truncation(container, stream, last.pts if last else None, rate)
        damage.report(path)


def _placed(decoded: Iterator[tuple[object, int | None]], timeline: Timeline) -> Iterator[tuple[object, int]]:
    for picture, label in decoded:
        yield from timeline.push(picture, label)
    yield from timeline.drain()


def _clock(seconds: float) -> str:
    """HH:MM:SS.mmm for a warning a restorer can find the place with."""
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest / 1000:06.3f}"


class _Damage:
    """Counts what went wrong while decoding so that one warning can say it all at the end.

    Where it happened is kept as at most ``_PLACES`` spans of consecutive filled frames (memory stays
    flat however damaged the film is); the count covers them all.
    """

    _PLACES = 4

    def __init__(self, time_base) -> None:
        self.time_base = time_base
        self.packets = 0
        self.concealed = 0
        self.repeated = 0
        self.unfilled = 0
        self.truncated: str | None = None
        self.unreadable_after: float | None = None
        self._spans: list[list[float]] = []
        self._more_spans = 0
        self._previous: float | None = None

    def filled(self, pts: int) -> None:
        """A lost picture at ``pts`` was replaced by a repeat of the previous frame."""
        self.repeated += 1
        t = float(pts * self.time_base)
        if self._spans and self._previous is not None and self._spans[-1][1] == self._previous:
            self._spans[-1][1] = t
        elif len(self._spans) < self._PLACES:
            self._spans.append([t, t])
        else:
            self._more_spans += 1
        self._previous = t

    def check_truncation(self, container, stream, last_pts, rate) -> None:
        expected = None
        if stream.duration:
            expected = float((stream.start_time or 0) * stream.time_base + stream.duration * stream.time_base)
            slack = _TRUNCATION_FRAMES / float(rate)
        elif container.duration:
            expected = container.duration / av.time_base + (container.start_time or 0) / av.time_base
            slack = max(_TRUNCATION_SECONDS, _TRUNCATION_FRAMES / float(rate))
        if stream.frames:  # a cut-off AVI loses its index, not its header's frame count
            by_count = float((stream.start_time or 0) * stream.time_base) + stream.frames / float(rate)
            if expected is None or by_count > expected:
                expected, slack = by_count, _TRUNCATION_FRAMES / float(rate)
        if expected is None or last_pts is None:
            return
        end = float(last_pts * stream.time_base) + 1 / float(rate)
        if end < expected - slack:
            self.truncated = f"the picture ends at {_clock(end)} but the header says {_clock(expected)} (truncated?)"

    def summary(self) -> str:
        parts = []
        if self.packets:
            parts.append(f"{self.packets} undecodable packet(s) skipped")
        if self.repeated:
            where = ", ".join(_clock(a) if a == b else f"{_clock(a)}-{_clock(b)}" for a, b in self._spans)
            more = f" and {self._more_spans} more place(s)" if self._more_spans else ""
            parts.append(f"{self.repeated} lost frame(s) filled by repeating the previous one at {where}{more}")
        if self.unfilled:
            parts.append(f"{self.unfilled} lost frame(s) left out (no gap in the film's times to fill)")
        if self.concealed:
            parts.append(f"{self.concealed} damaged frame(s) concealed by the decoder")
        if self.unreadable_after is not None:
            parts.append(f"the file cannot be read past {_clock(self.unreadable_after)}")
        if self.truncated:
            parts.append(self.truncated)
        return "; ".join(parts)

    def report(self, path: Path) -> None:
        """One warning per file and process: colorize reads a film twice, the user hears of it once."""
        summary = self.summary()
        if summary:
            warn_once(f"damage:{Path(path).resolve()}:{summary}", "%s: %s", path, summary)


def _bframe_unpacker(stream: av.VideoStream):
    """FFmpeg's mpeg4_unpack_bframes for MPEG-4 Part 2 (a no-op on streams without packed B-frames)."""
    if stream.codec_context.name != "mpeg4" or "mpeg4_unpack_bframes" not in bitstream_filters_available:
        return None
    return BitStreamFilterContext("mpeg4_unpack_bframes", stream)


class _ChunkIndex:
    """AVI timestamps from the file's index, not from counting chunks.

    The AVI demuxer numbers the chunks it reads; when damage swallows some, every later picture comes
    out early and the film drifts from its sound. The index (idx1/indx) holds each chunk's position and
    true time: packets are matched to it by position, walking it in step (no copy of the index).
    """

    _CHUNK_HEADER = 8  # the index points at the chunk's header, the packet at its data

    def __init__(self, stream: av.VideoStream) -> None:
        self.entries = stream.index_entries
        self.next = 0

    def correct(self, packet: av.Packet) -> None:
        if packet.pos is None or packet.pos < 0:
            return
        at = packet.pos - self._CHUNK_HEADER
        entries, n = self.entries, len(self.entries)
        while self.next < n and entries[self.next].pos < at:
            self.next += 1
        if self.next < n and entries[self.next].pos == at:
            packet.pts = packet.dts = entries[self.next].timestamp


def _decode_tolerant(container, stream, damage: _Damage) -> Iterator[tuple[object, int | None]]:
    """(picture, label) in decoder order; label is the best-effort timestamp (pts, else dts).

    A packet the decoder rejects is counted and stands as ``LOST``, so that the timeline can fill
    the slot its picture leaves. A demuxer that gives up (cut-off file) ends the stream: what was
    decoded stands.
    """
    codec = stream.codec_context
    unpack = _bframe_unpacker(stream)
    index = _ChunkIndex(stream) if container.format.name == "avi" else None

    def decode(packet) -> Iterator[tuple[object, int | None]]:
        try:
            frames = codec.decode(packet)
        except av.error.FFmpegError:
            damage.packets += 1
            yield LOST, None
            return
        for frame in frames:
            damage.concealed += frame.is_corrupt
            yield frame, frame.pts if frame.pts is not None else frame.dts

    read_to = 0.0
    try:
        for packet in container.demux(stream):
            if not packet.size:
                continue  # the demuxer's flush packet: the decoder is drained below
            if index is not None:
                index.correct(packet)
            if packet.dts is not None:
                read_to = float(packet.dts * stream.time_base)
            for unpacked in (unpack.filter(packet) if unpack else (packet,)):
                yield from decode(unpacked)
    except av.error.FFmpegError:
        damage.unreadable_after = read_to
    try:
        for unpacked in (unpack.filter(None) if unpack else ()):
            yield from decode(unpacked)
        for frame in codec.decode(None):
            damage.concealed += frame.is_corrupt
            yield frame, frame.pts if frame.pts is not None else frame.dts
    except av.error.FFmpegError:
        damage.packets += 1


def deinterlacer() -> str:
    """The FFmpeg filter ``deinterlace`` uses: bwdif (motion-adaptive, w3fdif's and yadif's ideas
    together), else yadif. DependencyError when this FFmpeg has neither."""
    for name in _DEINTERLACERS:
        if name in av.filter.filters_available:
            return name
    raise DependencyError(f"this FFmpeg build has no deinterlacing filter ({' or '.join(_DEINTERLACERS)})")


def _deinterlaced(decoded: Iterator[tuple[object, int | None]], stream: av.VideoStream
                  ) -> Iterator[tuple[object, int | None]]:
    """The decoded pictures through FFmpeg's deinterlacer (one frame per frame: mode send_frame, the
    field order each frame is flagged with, every frame woven). The filter holds one picture back to
    look ahead; it is flushed at the end. Lost pictures pass by it as they are."""
    name = deinterlacer()
    graph = None

    def pulled() -> Iterator[tuple[object, int | None]]:
        while True:
            try:
                frame = graph.vpull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            # the filter counts fields (its time base is half the stream's): back to the stream's
            yield frame, None if frame.pts is None else round(frame.pts * frame.time_base / stream.time_base)

    for picture, label in decoded:
        if picture is LOST:
            yield picture, label
            continue
        if graph is None:  # built on the first picture: its size and format are the decoder's, not the header's
            graph = av.filter.Graph()
            source = graph.add_buffer(width=picture.width, height=picture.height, format=picture.format.name,
                                      time_base=stream.time_base)
            weave = graph.add(name, "mode=send_frame:parity=auto:deint=all")
            source.link_to(weave)
            weave.link_to(graph.add("buffersink"))
            graph.configure()
        picture.pts = label
        try:
            graph.vpush(picture)
        except av.error.FFmpegError:  # a picture the filter cannot take (its size changed): lost
            yield LOST, None
            continue
        yield from pulled()
    if graph is not None:
        graph.vpush(None)
        yield from pulled()


def _to_array(frame: av.VideoFrame, mode: str, max_size: int | None, colorspace: int | None
              ) -> tuple[np.ndarray, Luma | None]:
    """(8-bit picture, the source's own luminance when deeper and kept at full size).

    Convert at full size, then area-average down: OpenCV's INTER_AREA is the reference
    downscale (swscale's AREA filters chroma at its own subsampled size and drifts from it)."""
    if mode == "gray":
        # gray8 from YUV copies the Y plane; asking for full range expands studio-range 16-235 luma.
        image = frame.to_ndarray(format="gray8", dst_color_range="JPEG")
    else:
        image = frame.to_ndarray(format="rgb24")
    small = _downscale(image, max_size)
    return small, depth.read_luma(frame, colorspace) if small is image else None


def _downscale(image: np.ndarray, max_size: int | None) -> np.ndarray:
    size = fit_within(image.shape[1], image.shape[0], max_size)
    if size == (image.shape[1], image.shape[0]):
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
