"""What a video file or image sequence holds, read from headers (and at most one decoded frame)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.filter

from memovid.errors import InputError
from memovid.video import imageseq
from memovid.video.depth import bits_of
from memovid.video.options import DEFAULT_FPS

# Packets looked at to decide whether the frame rate varies (demux only, no decoding).
_VFR_PACKETS = 120
# Frames FFmpeg's idet looks at to tell interlaced from progressive pictures (its multi-frame verdict
# settles within a few frames of motion).
_IDET_FRAMES = 24
# AVFieldOrder -> the field shown first: TT, BB, TB (top coded first, bottom shown first), BT.
_FIELD_ORDER = {1: "progressive", 2: "tff", 3: "bff", 4: "bff", 5: "tff"}


@dataclass(frozen=True)
class AudioInfo:
    index: int
    codec: str
    sample_rate: int
    channels: int
    language: str | None


@dataclass(frozen=True)
class SubtitleInfo:
    index: int
    codec: str
    language: str | None


@dataclass(frozen=True)
class MediaInfo:
    """Facts about one input. fps / r_frame_rate are exact rationals (30000/1001, not 29.97).

    frames_estimated: True when ``frames`` comes from duration x fps rather than the header or a count.
    rotation: degrees counter-clockwise a player applies (display matrix or ``rotate`` tag), 0 if none.
    is_vfr: True / False when the first packets tell, None when not known (image sequences: False).
    field_order: what the stream is flagged as: "progressive", "tff" / "bff" (the field shown first),
    or "unknown". fields_seen: FFmpeg's idet verdict over the first frames ("tff", "bff",
    "progressive"), None when not looked at (``probe(detect_interlace=True)`` looks): a tape transfer
    coded as progressive shows its combing there, a film on DVD flagged interlaced shows none.
    """

    path: str
    container: str
    duration: float | None
    fps: Fraction
    r_frame_rate: Fraction | None
    frames: int
    frames_estimated: bool
    width: int
    height: int
    pix_fmt: str
    bit_depth: int
    codec: str
    rotation: int = 0
    is_vfr: bool | None = None
    audio: tuple[AudioInfo, ...] = ()
    subtitles: tuple[SubtitleInfo, ...] = ()
    is_image_sequence: bool = False
    field_order: str = "unknown"
    fields_seen: str | None = None

    @property
    def interlaced(self) -> bool:
        """Interlaced by what the frames show when that was looked at, else by the flags."""
        return (self.fields_seen or self.field_order) in ("tff", "bff")

    def to_dict(self) -> dict:
        """JSON-ready: fractions become "num/den" strings plus a float ``fps_float``."""
        d = dataclasses.asdict(self)
        d["fps"] = f"{self.fps.numerator}/{self.fps.denominator}"
        d["fps_float"] = float(self.fps)
        if self.r_frame_rate is not None:
            d["r_frame_rate"] = f"{self.r_frame_rate.numerator}/{self.r_frame_rate.denominator}"
        d["audio"] = [dataclasses.asdict(a) for a in self.audio]
        d["subtitles"] = [dataclasses.asdict(s) for s in self.subtitles]
        return d


# Demuxers that read one picture, or text as pictures: what they open is not a film.
_STILL_FORMATS = ("image2", "image2pipe")
_TEXT_FORMATS = ("tty",)  # FFmpeg draws any .txt/.nfo/.asc file as ANSI art at 25 fps


def open_input(path: str | Path) -> av.container.InputContainer:
    """av.open with memovid's errors: InputError naming the file when missing, empty or not media."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes)")
    try:
        return av.open(str(path))
    except av.error.FFmpegError as error:
        raise InputError(f"{path}: not a media file ({error.strerror})") from None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror or error})") from None


def video_stream_of(container: av.container.InputContainer, path: str | Path) -> av.VideoStream:
    """The film's video stream; InputError saying what the file is when it holds no film."""
    fmt = container.format.name
    if fmt in _TEXT_FORMATS or (container.streams.video and container.streams.video[0].codec_context.name == "ansi"):
        raise InputError(f"{path}: a text file, not a video")
    if not container.streams.video:
        if container.streams.subtitles:
            raise InputError(f"{path}: a subtitle file ({fmt}), not a video")
        if container.streams.audio:
            raise InputError(f"{path}: sound only ({container.streams.audio[0].codec_context.name}), no video stream")
        raise InputError(f"{path}: no video stream")
    stream = container.streams.video[0]
    if fmt in _STILL_FORMATS or fmt.endswith("_pipe"):
        raise InputError(f"{path}: a still image ({stream.codec_context.name}), not a video; for an image "
                         "sequence give its folder or a pattern such as frames/%05d.png")
    return stream


def probe(path: str | Path, *, count_frames: bool = False, detect_interlace: bool = False) -> MediaInfo:
    """Describe ``path`` (a video file, an image folder or a printf pattern).

    count_frames: demux the whole video stream to count packets when the header has no frame
    count (exact, no decoding; costs one read of the file).
    detect_interlace: run FFmpeg's idet over the first frames (``fields_seen``; decodes a second).
    """
    if imageseq.is_image_sequence(path):
        return _probe_sequence(path)
    with open_input(path) as container:
        stream = video_stream_of(container, path)
        ctx = stream.codec_context
        fps = stream.average_rate or stream.guessed_rate or stream.base_rate or DEFAULT_FPS
        duration = _duration(container, stream)
        frames, estimated = stream.frames, False
        if not frames and count_frames:
            frames = _count_packets(path)
        elif not frames:
            frames, estimated = (round(duration * fps) if duration else 0), True
        pix_fmt = ctx.pix_fmt or "unknown"
        return MediaInfo(
            path=str(path),
            container=container.format.name,
            duration=duration,
            fps=Fraction(fps),
            r_frame_rate=Fraction(stream.base_rate) if stream.base_rate else None,
            frames=frames,
            frames_estimated=estimated,
            width=ctx.width,
            height=ctx.height,
            pix_fmt=pix_fmt,
            bit_depth=bits_of(pix_fmt),
            codec=ctx.name,
            rotation=_rotation(path, stream),
            is_vfr=_is_vfr(path),
            field_order=_FIELD_ORDER.get(_int(ctx.field_order), "unknown"),
            fields_seen=_fields_seen(path) if detect_interlace else None,
            audio=tuple(
                AudioInfo(s.index, s.codec_context.name, s.codec_context.sample_rate,
                          s.codec_context.channels, s.language)
                for s in container.streams.audio
            ),
            subtitles=tuple(
                SubtitleInfo(s.index, s.codec_context.name if s.codec_context else s.codec.name, s.language)
                for s in container.streams.subtitles
            ),
        )


def _probe_sequence(source: str | Path) -> MediaInfo:
    info = imageseq.sequence_info(source)
    return MediaInfo(
        path=str(source), container="image2", duration=float(len(info.files) / DEFAULT_FPS),
        fps=DEFAULT_FPS, r_frame_rate=None, frames=len(info.files), frames_estimated=False,
        width=info.width, height=info.height, pix_fmt=info.pix_fmt, bit_depth=info.bit_depth,
        codec=info.codec, is_vfr=False, is_image_sequence=True,
    )


def _duration(container: av.container.InputContainer, stream: av.VideoStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _int(value) -> int:
    return int(getattr(value, "value", value) or 0)


def _fields_seen(path: str | Path) -> str | None:
    """FFmpeg's idet over the first ``_IDET_FRAMES`` frames: the verdict most frames get ("tff", "bff",
    "progressive"), None when it could not tell (too few frames, or undecodable)."""
    votes: dict[str, int] = {}
    with open_input(path) as container:
        stream = container.streams.video[0]
        graph = None
        try:
            for frame in container.decode(stream):
                if graph is None:
                    graph = av.filter.Graph()
                    source = graph.add_buffer(width=frame.width, height=frame.height, format=frame.format.name,
                                              time_base=stream.time_base)
                    detector = graph.add("idet")
                    source.link_to(detector)
                    detector.link_to(graph.add("buffersink"))
                    graph.configure()
                graph.vpush(frame)
                while True:
                    try:
                        verdict = graph.vpull().metadata.get("lavfi.idet.multiple.current_frame")
                    except (av.error.BlockingIOError, av.error.EOFError):
                        break
                    votes[verdict] = votes.get(verdict, 0) + 1
                if sum(votes.values()) >= _IDET_FRAMES:
                    break
        except av.error.FFmpegError:
            pass
    votes.pop("undetermined", None)
    votes.pop(None, None)
    return max(votes, key=votes.get) if votes else None


def _count_packets(path: str | Path) -> int:
    # Each look that reads packets opens the file afresh: raw streams (.h264, .m4v) cannot seek back.
    with open_input(path) as container:
        try:
            return sum(1 for p in container.demux(container.streams.video[0]) if p.size)
        except av.error.FFmpegError:
            return 0


def _rotation(path: str | Path, stream: av.VideoStream) -> int:
    """The ``rotate`` tag of older files, else the display matrix FFmpeg attaches to the first frame."""
    tag = stream.metadata.get("rotate")
    if tag is not None:
        return int(float(tag)) % 360
    with open_input(path) as container:
        try:
            for frame in container.decode(container.streams.video[0]):
                return int(round(frame.rotation)) % 360
        except av.error.FFmpegError:
            pass
    return 0


def _is_vfr(path: str | Path) -> bool | None:
    """Compare the gaps between the first packets' timestamps (demux only)."""
    pts = []
    with open_input(path) as container:
        try:
            for packet in container.demux(container.streams.video[0]):
                if packet.pts is not None:
                    pts.append(packet.pts)
                if len(pts) >= _VFR_PACKETS:
                    break
        except av.error.FFmpegError:
            return None
    if len(pts) < 3:
        return None
    pts.sort()
    gaps = {b - a for a, b in zip(pts, pts[1:])}
    # Timestamps rounded to a coarse time base (e.g. mkv's 1 ms) wobble by one unit at a constant rate.
    return max(gaps) - min(gaps) > 1
