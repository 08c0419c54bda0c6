"""Encoding choices: one table of codecs and one frozen dataclass of defaults (no av import here).

The CLI's ``--codec`` choices, presets and the Python API all read ``CODECS`` and ``EncodeOptions``;
a new output codec is one new ``CODECS`` entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Mapping

from memovid.errors import InputError

# Frame rate used when neither the frames nor the source carry timing (image sequence to video).
DEFAULT_FPS = Fraction(25)


@dataclass(frozen=True)
class CodecSpec:
    """How one ``--codec`` choice is written.

    encoder: FFmpeg encoder name ("" for image sequences, written with OpenCV).
    pix_fmt: pixel format handed to the encoder (RGB frames are converted to it).
    options: encoder options always set (e.g. ProRes profile, FFV1 level).
    crf / preset: default quality and speed, or None where the encoder has no such knob.
    image_sequence: output is a folder / printf pattern of images, not a container.
    extension: what a file written with this codec usually ends with (for help texts and examples).
    preset_options: encoder options that go with the default preset only (a preset the user names
    brings its own).
    deep: bits -> pixel format for sources deeper than 8 bits (their luminance goes in as it is); the
    smallest depth that holds the source is taken, else the deepest. Empty: written at 8 bits.
    """

    encoder: str
    pix_fmt: str
    options: Mapping[str, str] = field(default_factory=dict)
    crf: int | None = None
    preset: str | None = None
    preset_options: Mapping[str, str] = field(default_factory=dict)
    image_sequence: bool = False
    extension: str = ".mkv"
    lossless: bool = False
    deep: Mapping[int, str] = field(default_factory=dict)

    def deep_pix_fmt(self, bits: int) -> tuple[str, int] | None:
        """(pixel format, its bits) for a ``bits``-deep source, or None when this codec writes 8 bits."""
        if not self.deep:
            return None
        depth = min((d for d in self.deep if d >= bits), default=max(self.deep))
        return self.deep[depth], depth


CODECS: Mapping[str, CodecSpec] = MappingProxyType({
    # h264 is the viewing copy: 8 bits, because players and browsers rarely decode High 10.
    # Its lookahead is 20 frames, not medium's 40: libx264 holds every lookahead frame at full size,
    # ~78 MiB of the encoder's peak at 720p (growing with the picture), for -0.08 dB PSNR and a 1 %
    # smaller file on the 720p profile clip (notes/NOTES.md). x264's own "faster" preset uses 20.
    "h264": CodecSpec("libx264", "yuv420p", crf=18, preset="medium", preset_options={"rc-lookahead": "20"},
                      extension=".mp4"),
    "h265": CodecSpec("libx265", "yuv420p10le", {"x265-params": "log-level=error"}, crf=20,
                      preset="medium", extension=".mp4", deep={10: "yuv420p10le", 12: "yuv420p12le"}),
    # bgr0 keeps the RGB frames bit-exact; level 3 with slice CRCs lets a restorer detect damage.
    # A deep source is written as Y'CbCr 4:4:4 at its depth, its own luminance plane kept.
    "ffv1": CodecSpec("ffv1", "bgr0", {"level": "3", "slicecrc": "1", "g": "1"}, extension=".mkv",
                      lossless=True, deep={10: "yuv444p10le", 12: "yuv444p12le", 16: "yuv444p16le"}),
    # prores_ks codes 10 bits, 4:2:2 (profile 3, HQ).
    "prores": CodecSpec("prores_ks", "yuv422p10le", {"profile": "3"}, extension=".mov",
                        deep={10: "yuv422p10le"}),
    # 16-bit PNG (or TIFF, by the pattern's extension) for deep sources.
    "png": CodecSpec("", "rgb24", image_sequence=True, extension="", lossless=True, deep={16: "rgb48"}),
})


@dataclass(frozen=True)
class EncodeOptions:
    """What to write. ``None`` fields take the codec's default from ``CODECS``.

    codec: a key of ``CODECS``. crf: 0 (best) - 51, only for codecs with a crf.
    copy_audio / copy_subtitles: copy the source's streams as packets (no re-encode).
    """

    codec: str = "h264"
    crf: int | None = None
    preset: str | None = None
    pix_fmt: str | None = None
    copy_audio: bool = True
    copy_subtitles: bool = True

    def __post_init__(self) -> None:
        if self.codec not in CODECS:
            raise InputError(f"unknown codec {self.codec!r}; choose one of {', '.join(CODECS)}")
        spec = CODECS[self.codec]
        if self.crf is not None:
            if spec.crf is None:
                raise InputError(f"codec {self.codec} has no crf setting")
            if not 0 <= self.crf <= 51:
                raise InputError(f"crf must be in 0-51, got {self.crf}")
        if self.preset is not None and spec.preset is None:
            raise InputError(f"codec {self.codec} has no preset setting")

    @property
    def spec(self) -> CodecSpec:
        return CODECS[self.codec]

    @property
    def resolved_pix_fmt(self) -> str:
        return self.pix_fmt or self.spec.pix_fmt

    def encoder_options(self) -> dict[str, str]:
        """The option dict handed to the FFmpeg encoder."""
        spec = self.spec
        opts = dict(spec.options)
        crf = self.crf if self.crf is not None else spec.crf
        preset = self.preset or spec.preset
        if crf is not None:
            opts["crf"] = str(crf)
        if preset is not None:
            opts["preset"] = preset
        if preset == spec.preset:
            opts.update(spec.preset_options)
        return opts
