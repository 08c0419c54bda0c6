"""The batch's record: one JSON line per event in ``OUTDIR/memovid-batch.jsonl``, and the results.

Lines are appended and flushed as they happen, so a killed batch leaves an honest record. Statuses:
"running" (started), "done", "failed", "skipped" (already complete). A film counts as complete only
when the manifest says done AND the output exists AND its frame count equals the input's (checked,
not assumed).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from memovid.errors import MemovidError

MANIFEST = "memovid-batch.jsonl"
STATUSES = ("running", "done", "failed", "skipped")


@dataclass(frozen=True)
class FileResult:
    """One manifest line. seconds: wall-clock time of the job; error: why it failed (one line)."""

    input: str
    output: str
    status: str
    frames: int = 0
    seconds: float = 0.0
    error: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))


@dataclass(frozen=True)
class BatchResult:
    """Final status of every input, in the order given; ``seconds``: the whole batch's wall-clock time."""

    results: list[FileResult]
    manifest: Path
    seconds: float
    executor: str = "local"
    workers: int = 1

    def with_status(self, status: str) -> list[FileResult]:
        return [r for r in self.results if r.status == status]

    @property
    def failed(self) -> list[FileResult]:
        return self.with_status("failed")

    @property
    def exit_code(self) -> int:
        """0 when every film is done or was already complete, 1 when any failed (the CLI's contract)."""
        return 1 if self.failed else 0

    @property
    def frames(self) -> int:
        """Frames colorized in this run (skipped films not counted)."""
        return sum(r.frames for r in self.with_status("done"))

    def rows(self) -> list[dict[str, str]]:
        """The summary table: one row per film."""
        return [{"input": Path(r.input).name, "status": r.status, "frames": str(r.frames),
                 "seconds": f"{r.seconds:.1f}", "frames/s": f"{r.frames / r.seconds:.1f}" if r.seconds else "-",
                 "output / error": r.error or r.output} for r in self.results]


class Manifest:
    """The JSON-lines record of a batch folder: read on start, appended and flushed per event."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last: dict[str, FileResult] = {}
        if path.exists():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    record = FileResult(**json.loads(line))
                except (json.JSONDecodeError, TypeError):
                    continue  # a line cut short by a kill: the film is simply not known as done
                self.last[record.input] = record

    def append(self, record: FileResult) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(record.to_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.last[record.input] = record


def is_complete(record: FileResult | None, input: Path, output: Path) -> bool:
    """Done according to the manifest, present, and as many frames as the input (probed, not assumed)."""
    if record is None or record.status != "done" or not output.exists():
        return False
    from memovid.video import probe

    try:
        return probe(output, count_frames=True).frames == probe(input, count_frames=True).frames
    except MemovidError:
        return False


def remove_leftovers(output: Path) -> None:
    """Temporary files a killed writer or join left beside ``output`` (they never become outputs)."""
    from memovid.batch.segments import remove_segments

    for temp in output.parent.glob(f".{output.stem}.*.memovid-tmp*"):
        temp.unlink(missing_ok=True)
    remove_segments(output)
