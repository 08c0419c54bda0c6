"""The small public API for scripts: presets as Pipeline objects, and top-level train/colorize.

    import memovid
    pipeline = memovid.load_pipeline("cartoon", overrides=["colorize.size=192"])
    pipeline.train(["colour_reel.mp4"], "reel.memo")
    summary = pipeline.run(sorted(Path("shelf").glob("*.mp4")), "reel.memo", "restored/")

``memovid/__init__.py`` re-exports the names in ``EXPORTS`` lazily through :func:`export`, so that
``import memovid`` stays cheap. This module imports nothing heavy at import time either.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from memovid.progress import ProgressFn, no_progress

EXPORTS = ("load_pipeline", "Pipeline", "colorize", "train", "run_batch", "available_presets")


@dataclass(frozen=True)
class Pipeline:
    """A loaded preset: every section's settings, and the jobs that use them.

    name: the preset's name (or "default"); source: the file it came from; settings: a
    memovid.presets.Settings (train, colorize, scenes, model, temporal, encode, segments).
    """

    name: str
    settings: object
    description: str = ""
    source: str = "<defaults>"

    def with_(self, **sections) -> "Pipeline":
        """A copy with whole sections replaced, e.g. ``pipeline.with_(encode=EncodeOptions("ffv1"))``."""
        return replace(self, settings=replace(self.settings, **sections))

    @property
    def output_suffix(self) -> str:
        """What an output file of this pipeline ends with ("" for an image sequence folder)."""
        return self.settings.encode.spec.extension

    def train(self, inputs: Sequence[str | Path], model: str | Path, *, update: bool = False,
              resume: bool = False, overwrite: bool = False, scenes=None, backbone_weights=None,
              progress: ProgressFn = no_progress):
        """memovid.train.train with this pipeline's train, model and scenes sections."""
        from memovid.train import train as run_train

        s = self.settings
        return run_train(list(inputs), model, config=s.train, model_config=s.model, scene_config=s.scenes,
                         scenes=scenes, update=update, resume=resume, overwrite=overwrite,
                         backbone_weights=backbone_weights, progress=progress)

    def colorize(self, input: str | Path, model, output: str | Path, *, scenes=None, keyframes=(),
                 overwrite: bool = False, progress: ProgressFn = no_progress):
        """memovid.colorize.colorize with this pipeline's sections; ``scenes`` None: detected with the
        pipeline's scene settings (the same table a scene-parallel Ray run splits on)."""
        from memovid.colorize import colorize as run_colorize

        s = self.settings
        if scenes is None:
            from memovid.segments import scene_table

            scenes = scene_table(input, s.scenes, progress)
        return run_colorize(input, model, output, config=s.colorize, temporal=s.temporal, encode=s.encode,
                            scenes=scenes, keyframes=keyframes, overwrite=overwrite, progress=progress)

    def run(self, inputs: Sequence[str | Path], model: str | Path, outdir: str | Path, *, jobs: int = 1,
            executor: str = "local", address: str | None = None, progress: ProgressFn = no_progress):
        """Colorize every input into ``outdir`` as a resumable batch (see memovid.batch.run_batch)."""
        from memovid.batch import run_batch

        return run_batch(inputs, model, outdir, pipeline=self, jobs=jobs, executor=executor, address=address,
                         progress=progress)


def load_pipeline(name: str | Path | None = None, overrides: Sequence[str] = ()) -> Pipeline:
    """The preset ``name`` (pipelines/NAME.toml or a .toml path; None: all defaults) with
    ``section.key=value`` overrides; InputError naming the file and key when anything is refused."""
    from memovid.presets import load_settings

    settings, description, source = load_settings(name, overrides)
    label = "default" if name is None else Path(name).stem
    return Pipeline(label, settings, description, source)


def available_presets() -> list[str]:
    from memovid.presets import available_presets as names

    return names()


def colorize(input: str | Path, model, output: str | Path, *, preset: str | Path | None = None,
             overrides: Sequence[str] = (), scenes=None, overwrite: bool = False,
             progress: ProgressFn = no_progress):
    """Colorize one film with a preset's settings (default: the library defaults) -> ColorizeResult."""
    return load_pipeline(preset, overrides).colorize(input, model, output, scenes=scenes, overwrite=overwrite,
                                                     progress=progress)


def train(inputs: Sequence[str | Path], model: str | Path, *, preset: str | Path | None = None,
          overrides: Sequence[str] = (), update: bool = False, resume: bool = False, overwrite: bool = False,
          scenes=None, backbone_weights=None, progress: ProgressFn = no_progress):
    """Train a model from colour footage with a preset's settings -> TrainResult."""
    return load_pipeline(preset, overrides).train(inputs, model, update=update, resume=resume,
                                                  overwrite=overwrite, scenes=scenes,
                                                  backbone_weights=backbone_weights, progress=progress)


def run_batch(inputs: Sequence[str | Path], model: str | Path, outdir: str | Path, *, preset: str | Path | None = None,
          overrides: Sequence[str] = (), jobs: int = 1, executor: str = "local", address: str | None = None,
          progress: ProgressFn = no_progress):
    """A resumable batch with a preset's settings -> memovid.batch.BatchResult."""
    return load_pipeline(preset, overrides).run(inputs, model, outdir, jobs=jobs, executor=executor,
                                                address=address, progress=progress)


def export(name: str):
    """Module ``__getattr__`` of the memovid package: the names of ``EXPORTS``, loaded on first use."""
    if name not in EXPORTS:
        raise AttributeError(f"module 'memovid' has no attribute {name!r}")
    return globals()[name]


class LazyPackage(types.ModuleType):
    """``memovid.colorize`` and ``memovid.train`` are both submodules and exported functions. Importing a
    submodule sets it as a package attribute, which would hide the function; ignoring that assignment
    keeps ``memovid.colorize(...)`` the function (``from memovid.colorize import ...`` still works,
    through sys.modules), as memovid.video does for ``probe``."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and name in EXPORTS:
            return
        super().__setattr__(name, value)


def install(package_name: str = "memovid") -> None:
    """Make the package a LazyPackage (called once from memovid/__init__.py)."""
    sys.modules[package_name].__class__ = LazyPackage
