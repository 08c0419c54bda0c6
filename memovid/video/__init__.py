"""Video in, video out (probe, decode, encode, segment joins): the only package that imports PyAV.

Names are re-exported lazily (PEP 562) so that ``import memovid.video`` stays cheap: av, numpy and
OpenCV load on first use of a function, not when the CLI starts.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "probe": "media", "MediaInfo": "media", "AudioInfo": "media", "SubtitleInfo": "media",
    "read_frames": "decode", "fit_within": "decode",
    "open_writer": "encode", "write_video": "encode", "check_paths": "encode",
    "WriteResult": "encode", "VideoWriter": "encode",
    "transcode": "recode", "TranscodeResult": "recode",
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
