"""Defaults and bounds of ``memovid colorize``, in one place.

``colorize`` options, TOML presets and the Python API all read this dataclass. The stages keep their
own sections beside their code (``memovid.video.options.EncodeOptions``, ``memovid.temporal``...);
this one holds what belongs to painting a film. Importing it is cheap (no torch).
"""

from __future__ import annotations

from dataclasses import dataclass

from memovid.device import check_device


SEMANTIC_MODES = ("mix", "alone", "generator", "off")


@dataclass(frozen=True)
class ColorizeConfig:
    """How ``memovid colorize`` paints a black-and-white film."""

    size: int | None = None         # working size (long side); None -> the size the model was trained at
    batch_size: int = 8
    device: str = "auto"
    retrieval: str = "scene"        # "scene": top-k voted over the scene; "frame": the paper's per-frame top-1
    guidance: bool = True           # warp same-shot keyframes' colour along motion as the generator's prior
    # ab to full size: "guided" (fast guided filter on the original luminance) or "bilinear". End to end
    # the two are within noise with full-size keyframes, and guided snaps working-size keyframes' painted
    # ab back onto outlines (notes/MEASUREMENTS.md, "Figures moved out of the code").
    upsample: str = "guided"
    # How much of the keyframes' moved colour to keep over the generator's guess: "fitted" (a curve over
    # the flow's reliability fitted on the film's own keyframes, memovid.paint.trust) or "flow" (the
    # reliability itself, the prior).
    trust: str = "fitted"
    # Shots no keyframe reaches: part of their colour from the luminance palette of the keyframes most
    # like them (memovid.paint.palette), the share per shot from how far the generator strays from it;
    # False: the generator's alone.
    palette: bool = True
    # The generator paints a keyframe-guided frame only where the trust share leaves its guess at least
    # this much somewhere; below it the guess moves the output by under this fraction of its distance
    # to the moved colour, and is not made (40 ms a frame saved on densely keyframed films at no
    # measured cost: notes/MEASUREMENTS.md, "Figures moved out of the code"). 0: always paint.
    generator_floor: float = 0.1
    # ... and only where more than this share of the frame's pixels is left under the floor: on a 3D
    # cartoon keyframed every 13 frames the weak pixels are a median 0.3 % of a frame (disocclusions), the
    # generator's share of the whole output 0.5 %, and its cost 37 % of the run. Below it the moved colour
    # stands in on those pixels too. 0: paint wherever any pixel is under the floor.
    generator_area: float = 0.01
    # How full-size keyframe colour is moved onto a frame (memovid.motion.guide.GuideConfig.full_size):
    # "keyframe", once per keyframe (fast), or "candidate", once per candidate (the exact blend).
    full_size_blend: str = "keyframe"
    # Frames no keyframe of their shot reaches (memovid.paint.semantic): "mix", the patch memory's colour
    # and the shot's luminance palette, each hedged toward gray by gains fitted together on left-out
    # keyframes; "alone", the patch memory's hedged colour only; "generator", that as the generator's
    # guide input, the generator painting; "off", the generator and the palette, as before the patch
    # memory. benchmarks/new_clips.py measures the four (README, "New clips").
    semantic: str = "mix"
    # Pass 1 asks the memory about every this many frames of a shot, and about any frame whose picture
    # has changed since (memovid.paint.analyse._Asked); the answers are voted over whole scenes. 1: every
    # frame (what ``retrieval="frame"`` always does).
    query_every: int = 4
    # Weave interlaced frames (FFmpeg's bwdif, memovid.video.decode) before analysis and painting:
    # colour painted on combed frames combs along every motion.
    deinterlace: bool = False

    def __post_init__(self) -> None:
        check_device(self.device)
        if self.size is not None and not 64 <= self.size <= 2048:
            raise ValueError(f"size must be within [64, 2048], got {self.size}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.retrieval not in ("scene", "frame"):
            raise ValueError(f"retrieval must be 'scene' or 'frame', got {self.retrieval!r}")
        if self.upsample not in ("guided", "bilinear"):
            raise ValueError(f"upsample must be 'guided' or 'bilinear', got {self.upsample!r}")
        if self.full_size_blend not in ("keyframe", "candidate"):
            raise ValueError(f"full_size_blend must be 'keyframe' or 'candidate', got {self.full_size_blend!r}")
        if not 0.0 <= self.generator_floor < 1.0:
            raise ValueError(f"generator_floor must be within [0, 1), got {self.generator_floor}")
        if not 0.0 <= self.generator_area < 1.0:
            raise ValueError(f"generator_area must be within [0, 1), got {self.generator_area}")
        if not (isinstance(self.query_every, int) and 1 <= self.query_every <= 1000):
            raise ValueError(f"query_every must be a whole number of frames 1-1000, got {self.query_every!r}")
        if self.semantic not in SEMANTIC_MODES:
            raise ValueError(f"semantic must be one of {', '.join(SEMANTIC_MODES)}, got {self.semantic!r}")
        if self.trust not in ("fitted", "flow"):
            raise ValueError(f"trust must be 'fitted' or 'flow', got {self.trust!r}")
