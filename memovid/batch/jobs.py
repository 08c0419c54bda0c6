"""The batch's unit of work: one film (or one segment of it) colorized with the job's pipeline."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Job:
    """One film to colorize: picklable, so it travels to worker processes and Ray tasks."""

    input: Path
    output: Path
    model: Path
    pipeline: object  # memovid.presets.Preset (or a memovid.api.Pipeline)


# A job function colorizes one film and returns (frames written, seconds); ``scenes`` is the film's
# SceneTable when the executor already has it; with ``segment`` (memovid.batch.segments.Segment) it
# colorizes only that segment into ``part``. Tests pass fakes; the default is colorize_job.
JobFn = Callable[..., tuple[int, float]]


def colorize_job(job: Job, scenes=None, segment=None, part: Path | None = None) -> tuple[int, float]:
    """The batch's unit of work: colorize ``job.input`` (or one segment of it) with the job's pipeline."""
    model = loaded_model(job.model, job.pipeline.settings.colorize.device)
    if segment is not None:
        from memovid.batch.segments import colorize_segment

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
