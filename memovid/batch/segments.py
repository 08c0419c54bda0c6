"""Scene-parallel colorize: one film split at scene boundaries into segments, joined without re-encoding.

    table = split_file(film, SceneConfig())                  # the whole film's shots and scenes
    plan = plan_segments(film, table, SegmentConfig())      # cut only where a scene starts
    parts = [colorize_segment(pipeline, model, film, s, part_path(i)) for i, s in enumerate(plan)]
    join_segments(parts, plan, film, output, encode)         # memovid.video.join: packets copied, audio muxed

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

import shutil
import tempfile
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Iterator

from memovid.errors import OutputError, RunError
from memovid.progress import ProgressFn, no_progress
from memovid.scenes.config import SegmentConfig

# Intermediate of a segment: lossless RGB; NUT keeps the source's time base exactly (MKV rounds to ms).
_INTERMEDIATE = {"codec": "ffv1", "suffix": ".nut"}


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


def plan_segments(input: str | Path, table, config: SegmentConfig = SegmentConfig()) -> list[Segment]:
    """Segments of whole scenes, each at least ``min_seconds`` long (the last may be shorter when
    merging it would leave one segment). One segment when the film cannot be split safely: an image
    sequence, a single scene, or timestamps that do not match the scene table's frame count."""
    from memovid.video import probe

    info = probe(input)
    whole = [Segment(0, 0, table.frames, None, None, table)]  # no re-timing: colorize's own output
    if not config.split or info.is_image_sequence or len(table.scenes) < 2:
        return whole
    from memovid.video.join import frame_times, video_timing

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
    tb, origin, rate = video_timing(input, info.fps)
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

    pipeline: a memovid.presets.Preset (or memovid.api.Pipeline). model: a .memo path or a loaded MemoModel.
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
