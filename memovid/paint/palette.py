"""Colour by luminance, from the keyframes most like a shot, for the shots no keyframe reaches.

Such a shot gets only the memory's one colour feature, which a briefly trained generator turns into
ab poorly; the model's keyframes say more: which colour each luminance takes. A ``Palette`` is that
(the mean ab per luminance level of the keyframes whose memory query is nearest the shot's frames).

How much of it to keep over the generator's guess (``share``): the palette's error can be measured
honestly on keyframes it did not see (``held_out_error``); the generator's cannot (it looks far better
on its own training frames), but how far the two disagree on the shot can, D^2 = mean |palette -
guess|^2. With independent errors D^2 = E_palette^2 + E_generator^2, so the least-squares share is
1 - E_palette^2 / D^2. Errors measured positively correlated, so the rule errs toward the generator
(figures in notes/NOTES.md, "Palette for keyframe-less shots").
"""

from __future__ import annotations

import numpy as np

from memovid.color.levels import l8_to_L

LEVELS = 32        # luminance levels the palette tells apart
NEAREST = 3        # keyframes pooled into a shot's palette: one odd keyframe does not decide
MIN_SHARE = 1e-3   # a level holding less of the pixels than this is filled in from its neighbours


class Palette:
    """Mean ab per luminance level: levels (n,) in [0, 100] ascending, ab (n, 2) Lab units."""

    def __init__(self, levels: np.ndarray, ab: np.ndarray) -> None:
        self.levels = levels
        self.ab = ab

    @classmethod
    def of(cls, keyframes: list[tuple[np.ndarray, np.ndarray]]) -> "Palette":
        """The palette of keyframes [(L8 (h, w) uint8, ab (h, w, 2))], all pixels pooled."""
        count = np.zeros(LEVELS)
        total = np.zeros((LEVELS, 2))
        for L8, ab in keyframes:
            level = (L8.ravel().astype(np.int64) * LEVELS) // 256
            count += np.bincount(level, minlength=LEVELS)
            for c in range(2):
                total[:, c] += np.bincount(level, ab[..., c].ravel().astype(np.float64), LEVELS)
        kept = count >= max(1.0, MIN_SHARE * count.sum())
        if not kept.any():
            raise ValueError("a palette needs at least one keyframe pixel")
        centres = (np.arange(LEVELS) + 0.5) * (100.0 / LEVELS)
        return cls(centres[kept], (total[kept] / count[kept, None]).astype(np.float32))

    def __call__(self, L: np.ndarray) -> np.ndarray:
        """(h, w) L in [0, 100] -> (h, w, 2) float32 ab, interpolated between levels."""
        return np.stack([np.interp(L, self.levels, self.ab[:, c]) for c in range(2)], axis=-1).astype(np.float32)


def nearest(query: np.ndarray, keys: np.ndarray, n: int = NEAREST, exclude: int | None = None) -> list[int]:
    """Indices of the ``n`` rows of ``keys`` (m, d) most like ``query`` (d,) by cosine, best first."""
    q = query / max(float(np.linalg.norm(query)), 1e-12)
    k = keys / np.maximum(np.linalg.norm(keys, axis=1, keepdims=True), 1e-12)
    similarity = k @ q
    if exclude is not None:
        similarity[exclude] = -np.inf
    order = [int(i) for i in np.argsort(-similarity, kind="stable") if np.isfinite(similarity[i])]
    return order[:n]


def held_out_error(keyframes: list[tuple[np.ndarray, np.ndarray]], keys: np.ndarray, picks: list[int]) -> float:
    """Mean squared ab error per pixel of palettes on keyframes they did not see: each keyframe of
    ``picks`` painted by the palette of the NEAREST others (by ``keys``, the memory queries) from
    ``keyframes`` [(L8, ab)]. Needs two keyframes or more."""
    errors = []
    for i in picks:
        L8, truth = keyframes[i]
        painted = Palette.of([keyframes[j] for j in nearest(keys[i], keys, exclude=i)])(l8_to_L(L8))
        errors.append(float(((painted - truth) ** 2).sum(-1).mean()))
    return float(np.mean(errors))


def share(held_out: float, pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """Share of the palette kept over the generator's guess on one shot (see module doc):
    1 - held_out / D^2, within [0, 1]. pairs: [(palette ab, generator ab)] of some of its frames."""
    disagreement = float(np.mean([((p - g) ** 2).sum(-1).mean() for p, g in pairs]))
    if disagreement <= held_out:
        return 0.0
    return 1.0 - held_out / disagreement
