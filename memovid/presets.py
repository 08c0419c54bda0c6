"""Pipeline presets: TOML files of settings, loaded as data and checked against the config dataclasses.

A preset names values for the sections below; everything it leaves out keeps the dataclass default,
so defaults still live in one place. Nested dataclasses are dotted sections (``[model.memory]``,
``[temporal.flow]``). An unknown section or key, a value of the wrong type or one its dataclass
refuses is an InputError naming the file and the key. ``--set section.key=value`` overrides read
the value as a TOML scalar (``colorize.size=128``, ``encode.codec="ffv1"``, ``encode.codec=ffv1``).

Presets live in ``pipelines/NAME.toml``; a path to any .toml file works too. Importing this module
is cheap (no torch, no av): the CLI validates presets before anything heavy loads.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from memovid.errors import InputError
from memovid.model.config import ModelConfig
from memovid.paint.config import ColorizeConfig
from memovid.progress import ProgressFn, no_progress
from memovid.scenes.config import SceneConfig, SegmentConfig
from memovid.temporal.base import TemporalConfig
from memovid.training.config import TrainConfig
from memovid.video.options import EncodeOptions

PIPELINES_DIR = Path(__file__).resolve().parent.parent / "pipelines"

# Section name in a preset -> the dataclass that holds its defaults and bounds (one line per section).
SECTIONS: Mapping[str, type] = types.MappingProxyType({
    "train": TrainConfig,
    "colorize": ColorizeConfig,
    "scenes": SceneConfig,
    "model": ModelConfig,
    "temporal": TemporalConfig,
    "encode": EncodeOptions,
    "segments": SegmentConfig,
})
META_SECTION = "pipeline"          # description only: what the preset is for
META_KEYS = ("description",)


@dataclass(frozen=True)
class Settings:
    """Every section of one pipeline, each a validated config dataclass."""

    train: TrainConfig = TrainConfig()
    colorize: ColorizeConfig = ColorizeConfig()
    scenes: SceneConfig = field(default_factory=SceneConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    temporal: TemporalConfig = TemporalConfig()
    encode: EncodeOptions = EncodeOptions()
    segments: SegmentConfig = SegmentConfig()


@dataclass(frozen=True)
class Preset:
    """A loaded preset: every section's settings, and the single-film jobs that use them.

    name: the preset's name (or "default"); source: the file it came from; settings: a Settings.
    memovid.api.Pipeline adds the batch over many films; a batch itself only needs a Preset.
    """

    name: str
    settings: Settings
    description: str = ""
    source: str = "<defaults>"

    @classmethod
    def load(cls, name: str | Path | None = None, overrides: Sequence[str] = ()):
        """The preset ``name`` (pipelines/NAME.toml or a .toml path; None: all defaults) with
        ``section.key=value`` overrides; InputError naming the file and key when anything is refused."""
        settings, description, source = load_settings(name, overrides)
        return cls("default" if name is None else Path(name).stem, settings, description, source)

    def with_(self, **sections):
        """A copy with whole sections replaced, e.g. ``pipeline.with_(encode=EncodeOptions("ffv1"))``."""
        return replace(self, settings=replace(self.settings, **sections))

    @property
    def output_suffix(self) -> str:
        """What an output file of this pipeline ends with ("" for an image sequence folder)."""
        return self.settings.encode.spec.extension

    def train(self, inputs: Sequence[str | Path], model: str | Path | None = None, *, update: bool = False,
              resume: bool = False, overwrite: bool = False, scenes=None, backbone_weights=None,
              progress: ProgressFn = no_progress):
        """memovid.training.train.train with this pipeline's train, model and scenes sections (model None:
        beside the first input, memovid.default_paths.default_model_path)."""
        from memovid.training.train import train as run_train

        s = self.settings
        return run_train(list(inputs), model, config=s.train, model_config=s.model, scene_config=s.scenes,
                         scenes=scenes, update=update, resume=resume, overwrite=overwrite,
                         backbone_weights=backbone_weights, progress=progress)

    def colorize(self, input: str | Path, model=None, output: str | Path | None = None, *, scenes=None, keyframes=(),
                 overwrite: bool = False, progress: ProgressFn = no_progress):
        """memovid.paint.colorize.colorize with this pipeline's sections; ``scenes`` None: detected with the
        pipeline's scene settings (the same table a scene-parallel Ray run splits on). model or output
        None: found beside the input (memovid.default_paths.colorize_paths), before any scene is detected."""
        from memovid.default_paths import colorize_paths
        from memovid.paint.colorize import colorize as run_colorize

        s = self.settings
        model, output = colorize_paths(input, model, output, s.encode)
        if scenes is None:
            from memovid.scenes import split_file

            scenes = split_file(input, s.scenes, progress)
        return run_colorize(input, model, output, config=s.colorize, temporal=s.temporal, encode=s.encode,
                            scenes=scenes, keyframes=keyframes, overwrite=overwrite, progress=progress)


def available_presets() -> list[str]:
    """Names of the presets shipped in ``pipelines/``."""
    return sorted(p.stem for p in PIPELINES_DIR.glob("*.toml"))


def preset_path(name: str | Path) -> Path:
    """``pipelines/NAME.toml`` for a preset name, or the path itself for a .toml file."""
    path = Path(name)
    if path.suffix == ".toml":
        if not path.is_file():
            raise InputError(f"{path}: no such preset file")
        return path
    found = PIPELINES_DIR / f"{name}.toml"
    if not found.is_file():
        raise InputError(f"unknown preset {str(name)!r}; choose one of {', '.join(available_presets())} "
                         "or give a .toml file")
    return found


def load_settings(name: str | Path | None, overrides: Iterable[str] = ()) -> tuple[Settings, str, str]:
    """(settings, description, source) of a preset (None: all defaults) with ``--set`` overrides applied."""
    data: dict[str, Any] = {}
    source = "<defaults>"
    if name is not None:
        path = preset_path(name)
        source = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{path}: not valid TOML ({error})") from None
    overrides = list(overrides)
    for text in overrides:
        _apply_override(data, text)
    if overrides:
        source += " with --set " + " ".join(overrides)  # the refused key may come from either
    meta = data.pop(META_SECTION, {})
    if not isinstance(meta, dict) or set(meta) - set(META_KEYS):
        unknown = sorted(set(meta) - set(META_KEYS)) if isinstance(meta, dict) else [META_SECTION]
        raise InputError(f"{source}: unknown key {META_SECTION}.{unknown[0]} (allowed: {', '.join(META_KEYS)})")
    sections = {}
    for section, values in data.items():
        cls = SECTIONS.get(section)
        if cls is None:
            raise InputError(f"{source}: unknown section [{section}]; sections are "
                             f"{', '.join([META_SECTION, *SECTIONS])} (nested ones dotted, e.g. [model.memory])")
        if not isinstance(values, dict):
            raise InputError(f"{source}: {section} must be a section ([{section}]), got {values!r}")
        sections[section] = build(cls, values, section, source)
    return Settings(**sections), str(meta.get("description", "")), source


def build(cls: type, values: Mapping[str, Any], where: str, source: str):
    """An instance of dataclass ``cls`` from TOML values, every key and type checked (InputError)."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in names:
            raise InputError(f"{source}: unknown key {where}.{key}; {where} keys are {', '.join(sorted(names))}")
        kwargs[key] = _coerce(value, hints[key], f"{where}.{key}", source)
    try:
        return cls(**kwargs)
    except (ValueError, TypeError, InputError) as error:
        raise InputError(f"{source}: {_culprit(cls, kwargs, where)}: {error}") from None


def _culprit(cls: type, kwargs: dict[str, Any], where: str) -> str:
    """The dotted key whose value the dataclass refuses on its own (checks may span several keys)."""
    for key, value in kwargs.items():
        try:
            cls(**{key: value})
        except (ValueError, TypeError, InputError):
            return f"{where}.{key}"
    return f"[{where}] " + ", ".join(f"{where}.{k}" for k in kwargs)


def _coerce(value: Any, hint: Any, key: str, source: str) -> Any:
    """``value`` as type ``hint`` (TOML gives int/float/str/bool/list/dict), or an InputError."""
    def refuse(expected: str) -> InputError:
        return InputError(f"{source}: {key} must be {expected}, got {value!r} ({type(value).__name__})")

    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise refuse(f"a section [{key}]")
        return build(hint, value, key, source)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]  # TOML has no null: leave a key out for None
        return _coerce(value, options[0], key, source) if len(options) == 1 else value
    if origin is tuple:
        if not isinstance(value, list):
            raise refuse(f"an array ({_type_name(hint)})")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], key, source) for v in value)
        if len(value) != len(args):
            raise refuse(f"an array of {len(args)} ({_type_name(hint)})")
        return tuple(_coerce(v, a, key, source) for v, a in zip(value, args))
    if hint is bool:
        if not isinstance(value, bool):
            raise refuse("true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse("an integer")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise refuse("a number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise refuse("a string")
        return value
    return value


def _type_name(hint: Any) -> str:
    return str(hint).replace("typing.", "")


def _apply_override(data: dict[str, Any], text: str) -> None:
    """Apply ``section.key=value`` (dotted path, TOML scalar or array; a bare word is a string)."""
    path, sep, raw = text.partition("=")
    parts = [p.strip() for p in path.strip().split(".")]
    if not sep or len(parts) < 2 or not all(parts):
        raise InputError(f"--set {text!r}: expected section.key=value, e.g. colorize.size=128")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()  # encode.codec=ffv1 reads as the string "ffv1"
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise InputError(f"--set {text!r}: {part} is a value, not a section")
        node = child
    node[parts[-1]] = value
