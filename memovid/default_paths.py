"""Where a model or an output goes when the user names none: ``memovid train film.mp4``, ``memovid colorize bw.mp4``.

One owner for these paths: the CLI, the presets and the Python API all call the functions here.
A film's name is its stem; a folder (or printf pattern) of images is named by its folder, and what is
"beside" it sits in that folder's parent. Cheap to import (no torch, no av, no cv2).
"""

from __future__ import annotations

from pathlib import Path

from memovid.errors import InputError

MODEL_SUFFIX = ".memo"
COLOUR_TAG = "_colour"


def _folder_and_name(input: str | Path) -> tuple[Path, str]:
    """(the folder the input sits in, the input's name without suffix)."""
    from memovid.video.imageseq import is_image_sequence

    input = Path(input)
    if input.is_dir():
        return input.parent, input.name
    if is_image_sequence(input):  # a printf pattern such as frames/%05d.png: named by its folder
        return input.parent.parent, input.parent.name
    return input.parent, input.stem


def default_model_path(inputs) -> Path:
    """``<first input's name>.memo`` beside the first input (a keyframe folder: ``<folder>.memo`` beside it)."""
    inputs = [Path(p) for p in inputs]
    if not inputs:
        raise InputError("train needs at least one colour video or keyframe folder")
    folder, name = _folder_and_name(inputs[0])
    return folder / f"{name}{MODEL_SUFFIX}"


def find_model(input: str | Path, cwd: str | Path | None = None) -> Path:
    """The model for ``input`` when none is named: ``<name>.memo`` beside it, else the single .memo in
    its folder, else the single .memo in ``cwd`` (default: the current folder). InputError when there is
    none, or several where one was looked for."""
    folder, name = _folder_and_name(input)
    beside = folder / f"{name}{MODEL_SUFFIX}"
    if beside.is_file():
        return beside
    cwd = Path.cwd() if cwd is None else Path(cwd)
    places = [folder] if folder.resolve() == cwd.resolve() else [folder, cwd]
    for place in places:
        found = sorted(p for p in place.glob(f"*{MODEL_SUFFIX}") if p.is_file())
        if len(found) == 1:
            return found[0]
        if found:
            raise InputError(f"{len(found)} models in {place.resolve()} ({', '.join(p.name for p in found)}); "
                             "choose one with -m MODEL")
    where = " and ".join(str(p.resolve()) for p in places)
    raise InputError(f"no model for {input}: looked for {beside.name}, then a single {MODEL_SUFFIX} in {where}; "
                     f"train one with 'memovid train COLOUR_FILM -m {beside}' or give -m MODEL")


def default_output(input: str | Path, suffix: str) -> Path:
    """``<name>_colour<suffix>`` beside ``input`` (suffix "": the folder of an image sequence)."""
    folder, name = _folder_and_name(input)
    return folder / f"{name}{COLOUR_TAG}{suffix}"


def colorize_paths(input: str | Path, model, output: str | Path | None, encode=None) -> tuple[object, Path]:
    """(model, output) for a colorize run, each found as above where it is None.

    encode: the run's memovid.video.EncodeOptions, whose codec decides the output's suffix. An image
    codec, or an image-sequence input with the default codec, writes a folder of images (as the writer
    does for a folder target). A MemoModel given as ``model`` is passed through.
    """
    from memovid.video.imageseq import is_image_sequence
    from memovid.video.options import EncodeOptions

    if model is None:
        model = find_model(input)
    if output is None:
        encode = encode or EncodeOptions()
        images = encode.spec.image_sequence or (is_image_sequence(input) and encode.codec == EncodeOptions().codec)
        output = default_output(input, "" if images else encode.spec.extension)
    return model, Path(output)
