"""Video in, video out: the only package that imports PyAV.

Names are re-exported lazily (PEP 562) so that ``import memovid.video`` stays cheap: av, numpy and
OpenCV load on first use of a function, not when the CLI starts.
"""

from __future__ import annotations

import importlib
import sys
import types

_EXPORTS = {
    "probe": "probe", "MediaInfo": "probe", "AudioInfo": "probe", "SubtitleInfo": "probe",
    "read_frames": "decode", "fit_within": "decode",
    "open_writer": "encode", "write_video": "encode", "check_paths": "encode",
    "WriteResult": "encode", "VideoWriter": "encode",
    "transcode": "transcode", "TranscodeResult": "transcode",
    "EncodeOptions": "options", "CODECS": "options", "CodecSpec": "options", "DEFAULT_FPS": "options",
    "is_image_sequence": "imageseq",
    "Frame": "frame",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'memovid.video' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"memovid.video.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


class _Package(types.ModuleType):
    """``probe`` and ``transcode`` are both a submodule and the function it defines. Importing a
    submodule makes Python set it as an attribute of this package, which would hide the function;
    ignoring that assignment keeps ``memovid.video.probe(path)`` the function (the modules stay in
    ``sys.modules`` for ``from memovid.video.probe import ...``)."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
