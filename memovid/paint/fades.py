"""Chroma through fades: a fade dims colour with the light, so painted chroma must dim with it.

A fade to or from black multiplies the picture's light; in Lab both L and the chroma (a, b) fall with
it. memovid paints each frame's ab from its scene (keyframes, memory) at full strength, so at the
bottom of a fade a near-black frame would carry its scene's full colour, and the colour would jump
where the scene changes in the dark. Inside the fades the scene table found, ab is scaled by the
frame's mean luminance over that of the shot it fades from (fade out) or into (fade in), never above
1. The black frames between a fade out and the next fade in count as the fade out's.
"""

from __future__ import annotations

import numpy as np

REFERENCE_FRAMES = 5  # frames just outside a fade whose mean luminance is the shot's full light


def fade_gains(transitions, luma: np.ndarray) -> dict[int, float]:
    """frame -> chroma gain in [0, 1] for the frames in fades; frames not listed keep gain 1.

    transitions: the scene table's transitions; luma: (frames,) mean luminance L of each frame.
    """
    fades = sorted((t for t in transitions if t.kind in ("fade_out", "fade_in") and t.end > t.start),
                   key=lambda t: t.start)
    gains: dict[int, float] = {}
    n = len(luma)
    for k, fade in enumerate(fades):
        if fade.kind == "fade_out":
            reference = luma[max(0, fade.start - REFERENCE_FRAMES):fade.start]
            following = fades[k + 1] if k + 1 < len(fades) else None
            stop = following.start if following is not None and following.kind == "fade_in" else fade.end
        else:
            reference = luma[fade.end:fade.end + REFERENCE_FRAMES]
            stop = fade.end
        if len(reference) == 0 or float(reference.mean()) <= 1.0:
            continue  # nothing lit to measure against (a fade at the film's edge, or a dark shot)
        full = float(reference.mean())
        for i in range(fade.start, min(stop, n)):
            gains[i] = float(np.clip(luma[i] / full, 0.0, 1.0))
    return gains
