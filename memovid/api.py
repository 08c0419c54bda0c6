"""The small public API for scripts: presets as Pipeline objects, and top-level train/colorize.

    import memovid
    pipeline = memovid.load_pipeline("cartoon", overrides=["colorize.size=192"])
    pipeline.train(["colour_reel.mp4"], "reel.memo")
    summary = pipeline.run(sorted(Path("shelf").glob("*.mp4")), "reel.memo", "restored/")

``memovid/__init__.py`` re-exports the names in ``EXPORTS`` lazily through :func:`export`, so that
``import memovid`` stays cheap. This module imports nothing heavy at import time either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from memovid.presets import Preset
from memovid.progress import ProgressFn, no_progress

EXPORTS = ("load_pipeline", "Pipeline", "colorize", "train", "run_batch", "available_presets")


class Pipeline(Preset):
    """A loaded preset (memovid.presets.Preset: settings, train, colorize) that also runs a batch."""

    def run(self, inputs: Sequence[str | Path], model: str | Path | None, outdir: str | Path, *, jobs: int = 1,
            executor: str = "local", address: str | None = None, progress: ProgressFn = no_progress):
        """Colorize every input into ``outdir`` as a resumable batch (see memovid.batch.run.run_batch;
        model None: the one found for the first input)."""
        from memovid.batch.run import run_batch as run_films

        return run_films(inputs, model, outdir, pipeline=self, jobs=jobs, executor=executor, address=address,
                         progress=progress)


def load_pipeline(name: str | Path | None = None, overrides: Sequence[str] = ()) -> Pipeline:
    """The preset ``name`` (pipelines/NAME.toml or a .toml path; None: all defaults) with
    ``section.key=value`` overrides; InputError naming the file and key when anything is refused."""
    return Pipeline.load(name, overrides)


def available_presets() -> list[str]:
    from memovid.presets import available_presets as names

    return names()


def colorize(input: str | Path, model=None, output: str | Path | None = None, *, preset: str | Path | None = None,
             overrides: Sequence[str] = (), scenes=None, overwrite: bool = False,
             progress: ProgressFn = no_progress):
    """Colorize one film with a preset's settings (default: the library defaults) -> ColorizeResult.

    model None: ``<name>.memo`` beside the film, else the single .memo in its folder or the current one;
    output None: ``<name>_colour<codec's extension>`` beside it (memovid.default_paths)."""
    return load_pipeline(preset, overrides).colorize(input, model, output, scenes=scenes, overwrite=overwrite,
                                                     progress=progress)


def train(inputs: Sequence[str | Path], model: str | Path | None = None, *, preset: str | Path | None = None,
          overrides: Sequence[str] = (), update: bool = False, resume: bool = False, overwrite: bool = False,
          scenes=None, backbone_weights=None, progress: ProgressFn = no_progress):
    """Train a model from colour footage with a preset's settings -> TrainResult (model None:
    ``<first input's name>.memo`` beside the first input)."""
    return load_pipeline(preset, overrides).train(inputs, model, update=update, resume=resume,
                                                  overwrite=overwrite, scenes=scenes,
                                                  backbone_weights=backbone_weights, progress=progress)


def run_batch(inputs: Sequence[str | Path], model: str | Path | None, outdir: str | Path, *, preset: str | Path | None = None,
          overrides: Sequence[str] = (), jobs: int = 1, executor: str = "local", address: str | None = None,
          progress: ProgressFn = no_progress):
    """A resumable batch with a preset's settings -> memovid.batch.manifest.BatchResult."""
    return load_pipeline(preset, overrides).run(inputs, model, outdir, jobs=jobs, executor=executor,
                                                address=address, progress=progress)


def export(name: str):
    """Module ``__getattr__`` of the memovid package: the names of ``EXPORTS``, loaded on first use."""
    if name not in EXPORTS:
        raise AttributeError(f"module 'memovid' has no attribute {name!r}")
    return globals()[name]
