"""``memovid batch``: colorize a shelf of films, one bad file never stopping the rest, resumable.

    result = run_batch(films, "reel.memo", "restored/", pipeline=load_pipeline("film"), jobs=2)
    result.failed                     # FileResults with the reason; result.exit_code is 1 if any

The manifest ``OUTDIR/memovid-batch.jsonl`` gets one JSON line per event (input, output, status,
frames, seconds, error), appended and flushed as it happens, so a killed batch leaves an honest
record. Statuses: "running" (started), "done", "failed", "skipped" (already complete). A re-run
skips a film only when the manifest says done AND the output exists AND its frame count equals the
input's (checked, not assumed); everything else is redone from scratch, overwriting half-written
outputs and removing the writer's leftover temporary files.

Executors (one registry line each): "local" runs in this process (``jobs=1``) or in ``jobs`` spawned
processes with torch threads shared out between them; "ray" runs films in parallel on Ray workers and
splits long films at scene boundaries into segments (memovid.segments) joined on the driver.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from memovid.errors import DependencyError, InputError, MemovidError
from memovid.progress import ProgressFn, no_progress

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


@dataclass(frozen=True)
class Job:
    """One film to colorize: picklable, so it travels to worker processes and Ray tasks."""

    input: Path
    output: Path
    model: Path
    pipeline: object  # memovid.api.Pipeline


# A job function colorizes one film and returns (frames written, seconds); ``scenes`` is the film's
# SceneTable when the executor already has it; with ``segment`` (memovid.segments.Segment) it
# colorizes only that segment into ``part``. Tests pass fakes; the default is colorize_job.
JobFn = Callable[..., tuple[int, float]]


def colorize_job(job: Job, scenes=None, segment=None, part: Path | None = None) -> tuple[int, float]:
    """The batch's unit of work: colorize ``job.input`` (or one segment of it) with the job's pipeline."""
    model = loaded_model(job.model, job.pipeline.settings.colorize.device)
    if segment is not None:
        from memovid.segments import colorize_segment

        started = time.perf_counter()
        colorize_segment(job.pipeline, model, job.input, segment, part)
        return segment.frames, time.perf_counter() - started
    result = job.pipeline.colorize(job.input, model, job.output, scenes=scenes, overwrite=True)
    return result.frames, result.seconds


_MODELS: dict[tuple, object] = {}


def loaded_model(path: Path, device: str):
    """The model at ``path``, loaded once per process (a batch colorizes many films with one model)."""
    from memovid.device import resolve_device
    from memovid.model.bundle import MemoModel

    key = (str(path), os.stat(path).st_mtime_ns, device)
    if key not in _MODELS:
        _MODELS.clear()
        _MODELS[key] = MemoModel.load(path, device=resolve_device(device))
    return _MODELS[key]


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


def output_for(input: Path, outdir: Path, pipeline) -> Path:
    """``OUTDIR/<input stem><codec's extension>`` (a folder of that name for image sequences)."""
    return outdir / f"{input.stem}{pipeline.output_suffix}"


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
    from memovid.segments import remove_segments

    for temp in output.parent.glob(f".{output.stem}.*.memovid-tmp*"):
        temp.unlink(missing_ok=True)
    remove_segments(output)


def run_batch(inputs: Sequence[str | Path], model: str | Path, outdir: str | Path, *, pipeline=None,
              jobs: int = 1, executor: str = "local", address: str | None = None,
              progress: ProgressFn = no_progress, work: JobFn | None = None) -> BatchResult:
    """Colorize every input into ``outdir`` (see the module doc).

    pipeline: a memovid.api.Pipeline (default: all defaults). jobs: films (or segments) at once.
    work: the job function (default colorize_job; must be picklable for jobs > 1 and Ray).
    executor: "local" or "ray"; address: a Ray cluster to join (default: a local one started here).
    InputError before anything runs when the arguments cannot work (no inputs, no model, two inputs
    that would write the same output); errors of single films are recorded, never raised.
    """
    from memovid.api import load_pipeline

    started = time.perf_counter()
    if executor not in EXECUTORS:
        raise InputError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if jobs < 1:
        raise InputError(f"jobs must be >= 1, got {jobs}")
    if address is not None and executor != "ray":
        raise InputError("--address is for --executor ray")
    if not inputs:
        raise InputError("batch needs at least one input")
    model, outdir = Path(model), Path(outdir)
    if not model.is_file():
        raise InputError(f"{model}: no such model file")
    pipeline = pipeline or load_pipeline()
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


def _run_one(work: JobFn, job: Job, scenes=None) -> FileResult:
    """Run a job and turn any error into a failed FileResult (one bad film never stops the batch)."""
    started = time.perf_counter()
    try:
        frames, _ = work(job, scenes) if scenes is not None else work(job)
    except Exception as error:  # noqa: BLE001 - any film-level failure is recorded, not raised
        return FileResult(str(job.input), str(job.output), "failed", 0, time.perf_counter() - started,
                          describe(error))
    return FileResult(str(job.input), str(job.output), "done", frames, time.perf_counter() - started)


def describe(error: BaseException) -> str:
    """One line for the manifest: memovid's own messages as they are, others with their type."""
    cause = getattr(error, "cause", None)  # Ray wraps task errors; the cause is the real one
    if isinstance(cause, BaseException):
        error = cause
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text if isinstance(error, MemovidError) else f"{type(error).__name__}: {text}"


# -- executors ---------------------------------------------------------------------------------------
# Each takes (jobs to run, job function, parallelism, address, finished callback, progress) and
# returns the number of workers it used.

def _local(todo: list[Job], work: JobFn, jobs: int, address, finished, progress) -> int:
    if jobs == 1 or len(todo) <= 1:
        for job in todo:
            finished(_run_one(work, job))
        return 1
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    workers = min(jobs, len(todo))
    threads = max(1, (os.cpu_count() or 1) // workers)
    # spawn, not fork: a forked child inherits torch's thread pools in an undefined state.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(threads,)) as pool:
        futures = {pool.submit(_run_one, work, job): job for job in todo}
        for future in as_completed(futures):
            job = futures[future]
            try:
                finished(future.result())
            except BrokenProcessPool:
                finished(FileResult(str(job.input), str(job.output), "failed",
                                    error="its worker process died (out of memory?); re-run to retry"))
    return workers


def _init_worker(threads: int) -> None:
    """Share the cores between worker processes instead of each taking all of them."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)


def _ray(todo: list[Job], work: JobFn, jobs: int, address, finished, progress) -> int:
    """Films in parallel on Ray; a film with several scenes is planned into segments (one task each,
    decoded by seeking), joined on the driver as soon as its last segment is in."""
    from memovid.segments import check_parts, join_segments, remove_segments, segment_dir

    ray = _import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        options = {"address": address} if address else {"num_cpus": jobs, "include_dashboard": False}
        ray.init(log_to_driver=False, **options)
    try:
        workers = int(ray.cluster_resources().get("CPU", jobs))
        remote = dict(num_cpus=1, max_retries=0)
        plan_task = ray.remote(**remote)(_plan_film)
        # A model on CUDA takes one GPU per task, so Ray places one film or segment per GPU.
        gpus = 1 if todo and todo[0].pipeline.settings.colorize.device == "cuda" else 0
        film_task = ray.remote(**remote, num_gpus=gpus)(_run_one)
        segment_task = ray.remote(**remote, num_gpus=gpus)(work)
        pending: dict = {}
        films: dict[str, dict] = {}
        for job in todo:
            films[str(job.input)] = {"started": time.perf_counter(), "parts": [], "left": 0, "error": None}
            pending[plan_task.remote(job)] = ("plan", job)

        def fail(job: Job, error: str) -> None:
            state = films[str(job.input)]
            if state["error"] is None:
                state["error"] = error
                remove_segments(job.output)
                finished(FileResult(str(job.input), str(job.output), "failed", 0,
                                    time.perf_counter() - state["started"], error))

        while pending:
            (ref,), _ = ray.wait(list(pending), num_returns=1)
            kind, job = pending.pop(ref)
            state = films[str(job.input)]
            try:
                value = ray.get(ref)
            except Exception as error:  # noqa: BLE001 - a task's failure fails its film only
                fail(job, describe(error))
                continue
            if state["error"] is not None:
                continue
            if kind == "film":
                finished(value)
            elif kind == "plan" and len(value) == 1:
                pending[film_task.remote(work, job, value[0].table)] = ("film", job)
            elif kind == "plan":
                folder = segment_dir(job.output)
                folder.mkdir(parents=True, exist_ok=True)
                state["segments"] = value
                state["parts"] = [folder / f"part{s.index:04d}{job.output.suffix}" for s in value]
                state["left"] = len(value)
                for segment, part in zip(value, state["parts"]):
                    pending[segment_task.remote(job, None, segment, part)] = ("segment", job)
            else:
                state["left"] -= 1
                if state["left"] == 0:
                    try:
                        check_parts(state["parts"])
                        joined = join_segments(state["parts"], state["segments"], job.input, job.output, job.pipeline.settings.encode,
                                               overwrite=True)
                    except MemovidError as error:
                        fail(job, describe(error))
                        continue
                    remove_segments(job.output)
                    finished(FileResult(str(job.input), str(job.output), "done", joined.frames,
                                        time.perf_counter() - state["started"]))
        return workers
    finally:
        if started_here:
            ray.shutdown()


def _import_ray():
    try:
        import ray
    except ImportError:
        raise DependencyError("--executor ray needs Ray: pip install 'memovid[ray]'") from None
    return ray


def _plan_film(job: Job) -> list:
    """Ray task: the film's scene table and its segments (one segment: not worth splitting)."""
    from memovid.segments import plan_segments, scene_table

    settings = job.pipeline.settings
    return plan_segments(job.input, scene_table(job.input, settings.scenes), settings.segments)


EXECUTORS: dict[str, Callable[..., int]] = {"local": _local, "ray": _ray}
