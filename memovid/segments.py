"""Scene-parallel colorize: one film split at scene boundaries into segments, joined without re-encoding.

    table = scene_table(film, SceneConfig())                 # the whole film's shots and scenes
    plan = plan_segments(film, table, SegmentConfig())      # cut only where a scene starts
    parts = [colorize_segment(pipeline, model, film, s, part_path(i)) for i, s in enumerate(plan)]
    join_segments(parts, film, output, encode)               # packets copied, source audio muxed

Why the result equals a one-process run of the same film with the same scene table:
- every scene lies inside one segment, so the per-scene memory vote sees the same frames;
- temporal smoothing resets at shot starts anyway, and a segment starts at a scene (= shot) start;
- each segment keeps the source's timestamps (frames decoded by seeking carry their pts) and starts
  with a keyframe of its own encoder (a fresh encoder opens with an IDR: every segment is an
  independent GOP), so the packets concatenate into one valid stream with no seam;
- the source's audio and subtitles are copied as packets into the joined file, as the writer does.

A segment worker decodes its span by seeking (``read_frames(start_time, end_time)``) into a lossless
intermediate (FFV1, RGB, source timestamps) that ``colorize`` then paints; colorize has no span
argument yet, so the intermediate stands in for one. Nothing here imports Ray.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Iterator

from memovid.errors import InputError, OutputError, RunError
from memovid.progress import ProgressFn, no_progress

# Intermediate of a segment: lossless RGB; NUT keeps the source's time base exactly (MKV rounds to ms).
_INTERMEDIATE = {"codec": "ffv1", "suffix": ".nut"}
# Audio/subtitle packets are muxed up to this far ahead of the last video packet (seconds), as the writer.
_AUX_LEAD = 0.5


@dataclass(frozen=True)
class SegmentConfig:
    """How the Ray executor splits one film into scene-parallel segments.

    split: split films at scene starts (False: every film is one task).
    min_seconds: shortest segment; consecutive scenes are merged until a segment is this long, since
        each segment pays a fixed cost (model load, decoder start, a keyframe at its start).
    max_segments: at most this many segments per film (0: as many as the scenes allow).
    """

    split: bool = True
    min_seconds: float = 30.0
    max_segments: int = 0

    def __post_init__(self) -> None:
        if not self.min_seconds > 0:
            raise InputError(f"segments min_seconds must be > 0, got {self.min_seconds}")
        if self.max_segments < 0:
            raise InputError(f"segments max_segments must be >= 0, got {self.max_segments}")


@dataclass(frozen=True)
class Segment:
    """Frames [start, end) of the film; decoded with read_frames(start_time, end_time) in seconds.

    table: the scene table of just these frames (0-based, what colorize is given for the segment).
    pts / time_base: the source timestamps of its frames, which the join puts back on its packets.
    rate: the frame rate the segment is encoded at (its own timestamps count frames from 0).
    """

    index: int
    start: int
    end: int
    start_time: float | None
    end_time: float | None
    table: object
    pts: tuple[int, ...] = ()
    time_base: Fraction | None = None
    rate: Fraction | None = None

    @property
    def frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class JoinResult:
    output: Path
    frames: int
    seconds: float


def scene_table(input: str | Path, config=None, progress: ProgressFn = no_progress):
    """The whole film's SceneTable, detected on gray frames at the scene working size."""
    from memovid.scenes import SceneConfig, detect_scenes
    from memovid.video import probe, read_frames

    config = config or SceneConfig()
    info = probe(input)
    frames = read_frames(input, mode="gray", max_size=config.work_size, prefetch=4)
    return detect_scenes(frames, config, progress=progress, fps=float(info.fps),
                         total=None if info.frames_estimated else info.frames)


def frame_times(input: str | Path) -> list[int]:
    """Presentation timestamps of every video frame, sorted (demux only, no decoding)."""
    from memovid.video.probe import open_input, video_stream_of

    with open_input(input) as container:
        stream = video_stream_of(container, input)
        pts = sorted(p.pts for p in container.demux(stream) if p.size and p.pts is not None)
    return pts


def plan_segments(input: str | Path, table, config: SegmentConfig = SegmentConfig()) -> list[Segment]:
    """Segments of whole scenes, each at least ``min_seconds`` long (the last may be shorter when
    merging it would leave one segment). One segment when the film cannot be split safely: an image
    sequence, a single scene, or timestamps that do not match the scene table's frame count."""
    from memovid.video import probe

    info = probe(input)
    whole = [Segment(0, 0, table.frames, None, None, table)]  # no re-timing: colorize's own output
    if not config.split or info.is_image_sequence or len(table.scenes) < 2:
        return whole
    pts = frame_times(input)
    if len(pts) != table.frames:
        return whole
    min_frames = config.min_seconds * float(table.fps)
    starts = [0]
    for scene in table.scenes[1:]:
        if scene.start - starts[-1] >= min_frames:
            starts.append(scene.start)
    if len(starts) > 1 and table.frames - starts[-1] < min_frames / 2:
        starts.pop()  # a short tail joins the segment before it
    if config.max_segments and len(starts) > config.max_segments:
        keep = [round(i * len(starts) / config.max_segments) for i in range(config.max_segments)]
        starts = [starts[i] for i in keep]
    if len(starts) < 2:
        return whole
    from memovid.video.probe import open_input, video_stream_of

    with open_input(input) as container:
        stream = video_stream_of(container, input)
        tb, origin = Fraction(stream.time_base), stream.start_time or 0
        rate = Fraction(stream.average_rate or stream.guessed_rate or info.fps)
    ends = starts[1:] + [table.frames]

    def seconds_before(frame: int) -> float | None:
        # Halfway between the frame and the one before: robust to rounding, exact for VFR.
        return None if frame in (0, table.frames) else float(((pts[frame - 1] + pts[frame]) / 2 - origin) * tb)

    return [Segment(i, a, b, seconds_before(a), seconds_before(b), sub_table(table, a, b), tuple(pts[a:b]), tb, rate)
            for i, (a, b) in enumerate(zip(starts, ends))]


def sub_table(table, start: int, end: int):
    """The scenes, shots and transitions of frames [start, end), renumbered from 0 (start and end
    must be scene boundaries; transitions are clipped to the span)."""
    from memovid.scenes import Scene, SceneTable, Shot, Transition

    first_shot = next(i for i, s in enumerate(table.shots) if s.start == start)
    shots = [Shot(s.start - start, s.end - start) for s in table.shots if start <= s.start < end]
    scenes = [Scene(s.start - start, s.end - start, [i - first_shot for i in s.shots])
              for s in table.scenes if start <= s.start < end]
    transitions = [Transition(max(t.start, start) - start, min(t.end, end) - start, t.kind)
                   for t in table.transitions if t.end > start and t.start < end
                   or (t.start == t.end and start <= t.start < end)]
    return SceneTable(table.fps, end - start, shots, transitions, scenes)


def colorize_segment(pipeline, model, input: str | Path, segment: Segment, output: str | Path,
                     work_dir: str | Path | None = None, progress: ProgressFn = no_progress) -> Path:
    """Colorize one segment into ``output`` (the pipeline's codec, video only, source timestamps).

    pipeline: a memovid.api.Pipeline. model: a .memo path or a loaded MemoModel.
    """
    from memovid.video import EncodeOptions, Frame, read_frames, write_video

    output = Path(output)
    with tempfile.TemporaryDirectory(prefix="memovid-segment-", dir=work_dir) as tmp:
        intermediate = Path(tmp) / f"span{_INTERMEDIATE['suffix']}"
        frames = read_frames(input, mode="rgb", start_time=segment.start_time, end_time=segment.end_time,
                             prefetch=4)
        # Frames are numbered from 0 at the segment's rate (no pts): containers re-time exactly what
        # they are given, and the join puts the source's own timestamps back (segment.pts).
        renumbered = (Frame(f.image, f.index - segment.start) for f in _check_span(frames, segment, input))
        written = write_video(renumbered, intermediate, source=None, fps=segment.rate,
                              options=EncodeOptions(codec=_INTERMEDIATE["codec"], copy_audio=False,
                                                    copy_subtitles=False))
        if written.frames != segment.frames:
            raise RunError(f"{input}: segment {segment.index} decoded {written.frames} frames, "
                           f"expected {segment.frames} (frames {segment.start}-{segment.end - 1})")
        encode = replace(pipeline.settings.encode, copy_audio=False, copy_subtitles=False)
        part = replace(pipeline, settings=replace(pipeline.settings, encode=encode))
        result = part.colorize(intermediate, model, output, scenes=segment.table, overwrite=True,
                               progress=progress)
    if result.frames != segment.frames:
        raise RunError(f"{output}: segment {segment.index} has {result.frames} frames, expected {segment.frames}")
    return output


def _check_span(frames: Iterator, segment: Segment, input) -> Iterator:
    """Pass frames through, refusing a seek that landed on the wrong frame."""
    for i, frame in enumerate(frames):
        if i == 0 and frame.index != segment.start:
            raise RunError(f"{input}: seeking to frame {segment.start} landed on frame {frame.index}")
        yield frame


def join_segments(parts: list[Path], segments: list[Segment], source: str | Path | None, output: str | Path,
                  encode, overwrite: bool = False) -> JoinResult:
    """Concatenate the video packets of ``parts`` (in order) into ``output``, each packet given back
    the source timestamp of its frame (``segments[k].pts``), and copy the source's audio/subtitles
    (per ``encode``: memovid.video.EncodeOptions), without re-encoding. Written to a temporary file
    beside ``output`` and renamed when complete."""
    import av

    from memovid.video import check_paths
    from memovid.video.passthrough import StreamCopier
    from memovid.video.probe import open_input, video_stream_of

    started = time.perf_counter()
    output = Path(output)
    check_paths(source, output, overwrite)
    if not parts or len(parts) != len(segments):
        raise RunError(f"{output}: {len(parts)} segment files for {len(segments)} segments")
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{output.stem}.", suffix=f".memovid-tmp{output.suffix}", dir=output.parent)
    os.close(fd)
    temp = Path(name)
    frames = 0
    try:
        with av.open(str(temp), "w") as out, StreamCopier(source, out, audio=encode.copy_audio, subtitles=encode.copy_subtitles,
                                                          target=output) as aux:
            with open_input(parts[0]) as first:
                video = out.add_stream_from_template(video_stream_of(first, parts[0]))
            video.time_base = segments[0].time_base
            for packet in _video_packets(parts, segments):
                aux.mux_until(float(packet.dts * packet.time_base) + _AUX_LEAD if packet.dts is not None else None)
                packet.stream = video
                out.mux(packet)
                frames += 1
            aux.mux_until(None)
        os.replace(temp, output)
    except av.error.FFmpegError as error:
        temp.unlink(missing_ok=True)
        raise RunError(f"{output}: joining segments failed ({error})") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return JoinResult(output, frames, time.perf_counter() - started)


def _video_packets(parts: list[Path], segments: list[Segment]) -> Iterator:
    """Packets of every part in order, re-timed onto the source's timeline (source time base)."""
    from memovid.video.probe import open_input, video_stream_of

    last_dts = None
    for part, segment in zip(parts, segments):
        with open_input(part) as container:
            stream = video_stream_of(container, part)
            to_frame = Fraction(stream.time_base) * segment.rate  # part timestamp -> frame number
            for packet in container.demux(stream):
                if not packet.size:
                    continue
                pts = packet.pts
                packet.pts = _source_ts(segment, pts * to_frame) if pts is not None else None
                packet.dts = _source_ts(segment, packet.dts * to_frame) if packet.dts is not None else None
                packet.time_base = segment.time_base
                if last_dts is not None and packet.dts is not None and packet.dts <= last_dts:
                    raise RunError(f"{part}: its timestamps go back before the previous segment's end")
                last_dts = packet.dts if packet.dts is not None else last_dts
                yield packet


def _source_ts(segment: Segment, frame: Fraction) -> int:
    """The source timestamp of the segment's frame number ``frame``; the decoder delay's negative
    numbers (B-frame reordering) step back from the first frame at the nominal frame duration."""
    step = 1 / (segment.rate * segment.time_base)
    n = len(segment.pts)
    if frame.denominator == 1 and 0 <= frame < n:
        return segment.pts[int(frame)]
    if frame < 0:
        return segment.pts[0] + round(frame * step)
    if frame >= n - 1:
        return segment.pts[-1] + round((frame - n + 1) * step)
    low = int(frame)
    return segment.pts[low] + round((frame - low) * (segment.pts[low + 1] - segment.pts[low]))


def segment_dir(output: str | Path) -> Path:
    """Where a film's segment files wait for the join (beside the output, removed after it)."""
    output = Path(output)
    return output.parent / f".{output.name}.segments"


def remove_segments(output: str | Path) -> None:
    shutil.rmtree(segment_dir(output), ignore_errors=True)


def check_parts(parts: list[Path]) -> None:
    missing = [str(p) for p in parts if not p.exists()]
    if missing:
        raise OutputError(f"segments missing before the join: {', '.join(missing)}")
