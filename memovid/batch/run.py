"""``memovid batch``: colorize a shelf of films, one bad file never stopping the rest, resumable.

    result = run_batch(films, "reel.memo", "restored/", pipeline=load_pipeline("film"), jobs=2)
    result.failed                     # FileResults with the reason; result.exit_code is 1 if any

The manifest ``OUTDIR/memovid-batch.jsonl`` gets one JSON line per event (input, output, status,
frames, seconds, error), appended and flushed as it happens, so a killed batch leaves an honest
record. Statuses: "running" (started), "done", "failed", "skipped" (already complete). A re-run
skips a film only when the manifest says done AND the output exists AND its frame count equals the
input's (checked, not assumed); everything else is redone from scratch, overwriting half-written
outputs and removing the writer's leftover temporary files.

Executors: memovid.batch.executors ("local", "ray"); the record: memovid.batch.manifest.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable, Sequence

from memovid.batch.executors import EXECUTORS
from memovid.batch.jobs import Job, JobFn, colorize_job
from memovid.batch.manifest import MANIFEST, BatchResult, FileResult, Manifest, is_complete, remove_leftovers
from memovid.errors import InputError
from memovid.presets import Preset
from memovid.progress import ProgressFn, no_progress


def output_for(input: Path, outdir: Path, pipeline) -> Path:
    """``OUTDIR/<input stem><codec's extension>`` (a folder of that name for image sequences)."""
    return outdir / f"{input.stem}{pipeline.output_suffix}"


def run_batch(inputs: Sequence[str | Path], model: str | Path | None, outdir: str | Path, *, pipeline=None,
              jobs: int = 1, executor: str = "local", address: str | None = None,
              progress: ProgressFn = no_progress, work: JobFn | None = None) -> BatchResult:
    """Colorize every input into ``outdir`` (see the module doc).

    pipeline: a memovid.presets.Preset or memovid.api.Pipeline (default: all defaults). jobs: films (or segments) at once.
    work: the job function (default colorize_job; must be picklable for jobs > 1 and Ray).
    executor: "local" or "ray"; address: a Ray cluster to join (default: a local one started here).
    InputError before anything runs when the arguments cannot work (no inputs, no model, two inputs
    that would write the same output); errors of single films are recorded, never raised. model None:
    the one found for the first input (memovid.default_paths.find_model).
    """
    started = time.perf_counter()
    if executor not in EXECUTORS:
        raise InputError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if jobs < 1:
        raise InputError(f"jobs must be >= 1, got {jobs}")
    if address is not None and executor != "ray":
        raise InputError("--address is for --executor ray")
    if not inputs:
        raise InputError("batch needs at least one input")
    if model is None:
        from memovid.default_paths import find_model

        model = find_model(inputs[0])
    model, outdir = Path(model), Path(outdir)
    if not model.is_file():
        raise InputError(f"{model}: no such model file")
    pipeline = pipeline or Preset.load()
    paths = [Path(p) for p in inputs]
    outputs = [output_for(p, outdir, pipeline) for p in paths]
    clash = _first_duplicate(outputs)
    if clash is not None:
        raise InputError(f"two inputs would both be written to {clash}; give them different names")
    outdir.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(outdir / MANIFEST)

    final: dict[str, FileResult] = {}
    todo: list[Job] = []
    for path, output in zip(paths, outputs):
        record = manifest.last.get(str(path))
        if is_complete(record, path, output):
            final[str(path)] = FileResult(str(path), str(output), "skipped", record.frames, 0.0)
        else:
            todo.append(Job(path, output, model, pipeline))

    def finished(result: FileResult) -> None:
        manifest.append(result)
        final[result.input] = result
        progress("films", sum(r.status != "skipped" for r in final.values()), len(todo))

    for job in todo:
        remove_leftovers(job.output)
        manifest.append(FileResult(str(job.input), str(job.output), "running"))
    runner = EXECUTORS[executor]
    workers = runner(todo, work or colorize_job, jobs, address, finished, progress)
    results = [final[str(p)] for p in paths]
    return BatchResult(results, manifest.path, time.perf_counter() - started, executor, workers)


def _first_duplicate(paths: Iterable[Path]) -> Path | None:
    seen = set()
    for path in paths:
        key = path.resolve()
        if key in seen:
            return path
        seen.add(key)
    return None
