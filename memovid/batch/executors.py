"""Where a batch's jobs run (one registry line each): "local" runs in this process (``jobs=1``) or in
``jobs`` spawned processes with torch threads shared out between them; "ray" runs films in parallel on
Ray workers and splits long films at scene boundaries into segments (memovid.batch.segments) joined on
the driver (memovid.video.join).
"""

from __future__ import annotations

import os
import time
from typing import Callable

from memovid.batch.jobs import Job, JobFn
from memovid.batch.manifest import FileResult
from memovid.errors import DependencyError, MemovidError


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
    from memovid.batch.segments import check_parts, remove_segments, segment_dir
    from memovid.video.join import join_segments

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
    from memovid.batch.segments import plan_segments
    from memovid.scenes import split_file

    settings = job.pipeline.settings
    return plan_segments(job.input, split_file(job.input, settings.scenes), settings.segments)


EXECUTORS: dict[str, Callable[..., int]] = {"local": _local, "ray": _ray}
