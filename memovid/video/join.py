"""Segments joined into one film without re-encoding: packets copied, source timestamps put back.

The PyAV side of a scene-parallel run (memovid.batch.segments plans and colorizes the segments): the
source's frame timestamps and time base, and the join that concatenates the segments' packets and
copies the source's audio and subtitles, as the writer does.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

from memovid.errors import RunError

# Audio/subtitle packets are muxed up to this far ahead of the last video packet (seconds), as the writer.
_AUX_LEAD = 0.5


@dataclass(frozen=True)
class JoinResult:
    output: Path
    frames: int
    seconds: float


def frame_times(input: str | Path) -> list[int]:
    """Presentation timestamps of every video frame, sorted (demux only, no decoding)."""
    from memovid.video.media import open_input, video_stream_of

    with open_input(input) as container:
        stream = video_stream_of(container, input)
        pts = sorted(p.pts for p in container.demux(stream) if p.size and p.pts is not None)
    return pts


def video_timing(input: str | Path, fps) -> tuple[Fraction, int, Fraction]:
    """(time base, start timestamp, frame rate) of the video stream; ``fps`` when the stream has no rate."""
    from memovid.video.media import open_input, video_stream_of

    with open_input(input) as container:
        stream = video_stream_of(container, input)
        return Fraction(stream.time_base), stream.start_time or 0, Fraction(stream.average_rate or stream.guessed_rate or fps)


def join_segments(parts: list[Path], segments: list, source: str | Path | None, output: str | Path,
                  encode, overwrite: bool = False) -> JoinResult:
    """Concatenate the video packets of ``parts`` (in order) into ``output``, each packet given back
    the source timestamp of its frame (``segments[k].pts``), and copy the source's audio/subtitles
    (per ``encode``: memovid.video.EncodeOptions), without re-encoding. Written to a temporary file
    beside ``output`` and renamed when complete."""
    import av

    from memovid.video.encode import check_paths
    from memovid.video.media import open_input, video_stream_of
    from memovid.video.passthrough import StreamCopier

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


def _video_packets(parts: list[Path], segments: list) -> Iterator:
    """Packets of every part in order, re-timed onto the source's timeline (source time base)."""
    from memovid.video.media import open_input, video_stream_of

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


def _source_ts(segment, frame: Fraction) -> int:
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
