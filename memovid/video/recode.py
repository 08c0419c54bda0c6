"""The identity pipeline: decode -> encode with audio and subtitles copied. Every colorize run rides
on the same path, with a model stage between the two."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from memovid.progress import ProgressFn
from memovid.video.decode import read_frames
from memovid.video.encode import check_paths, open_writer
from memovid.video.options import EncodeOptions
from memovid.video.media import probe

# Frames decoded ahead in a background thread, so decode overlaps encode.
PREFETCH_FRAMES = 8


@dataclass(frozen=True)
class TranscodeResult:
    """frames written, wall-clock ``seconds``, ``path`` written, ``fps`` achieved (frames/s)."""

    frames: int
    seconds: float
    path: Path

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def transcode(input: str | Path, output: str | Path, *, options: EncodeOptions = EncodeOptions(),
              overwrite: bool = False, progress: ProgressFn | None = None,
              prefetch: int = PREFETCH_FRAMES, deinterlace: bool = False) -> TranscodeResult:
    """Re-encode ``input`` to ``output`` frame for frame, timestamps kept, audio/subtitles copied.

    Calls ``progress("transcode", done, total)`` after each frame (total from the header, may be
    an estimate). deinterlace: weave the fields first (memovid.video.decode.read_frames).
    """
    check_paths(input, output, overwrite)
    total = probe(input).frames or None
    with open_writer(output, source=input, options=options, overwrite=overwrite) as writer:
        for frame in read_frames(input, prefetch=prefetch, deinterlace=deinterlace):
            writer.write(frame)
            if progress is not None:
                progress("transcode", writer.frames, max(total, writer.frames) if total else None)
    result = writer.result
    return TranscodeResult(result.frames, result.seconds, result.path)
