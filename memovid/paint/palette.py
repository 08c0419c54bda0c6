"""Colour by luminance, from the keyframes most like a shot, for the shots no keyframe reaches.

Such a shot gets only the memory's one colour feature, which a briefly trained generator turns into
ab poorly; the model's keyframes say more: which colour each luminance takes. A ``Palette`` is that:
per luminance level, the weighted MEDIAN ab of the keyframes' pixels at that level, each keyframe
weighted by how like the shot its memory query is (a softmax over cosine similarity, SOFTNESS wide).

Why a median over all keyframes, softly weighted, and not the mean of the few nearest: a level of a
cartoon holds both the gray background and a saturated object, and the mean of the two is a colour
neither has (a whole gray backdrop painted green); and on a shot no keyframe resembles (similarities
0.2-0.35, none standing out) the three "nearest" are chance picks, while soft weights spread over many
keyframes, and the median then settles on the colour most of the film takes at that luminance.
SOFTNESS was measured on shots of two films no keyframe came from (a cartoon and a live-action film,
4 stretches each, palette alone, mean CIEDE2000 at working size; gray 10.37 and 11.16):

    softness      0.05    0.1    0.2    0.5
    cartoon      12.80  11.67   8.25   8.25
    live action   9.89   8.25   9.69  10.52

0.2 is the one that beats gray on both. Keyframes left out of the film's own set cannot choose it
(they always prefer 0.05: their look-alikes are in the set), so it is a constant, not fitted.

How much of it to keep over the generator's guess (``share``): the palette's error can be measured
honestly on keyframes it did not see (``PaletteBank.held_out_error``); the generator's cannot (it looks
far better on its own training frames), but how far the two disagree on the shot can, D^2 = mean
|palette - guess|^2. With independent errors D^2 = E_palette^2 + E_generator^2, so the least-squares
share is 1 - E_palette^2 / D^2.
"""

from __future__ import annotations

import numpy as np

from memovid.color.levels import L8_to_L

LEVELS = 32        # luminance levels the palette tells apart
AB_RANGE = 128     # ab histogram over [-AB_RANGE, AB_RANGE), one bin per ab unit, for the median
SOFTNESS = 0.2     # softmax temperature over cosine similarity: 0.2 apart = e times less weight
MIN_WEIGHT = 1e-4  # keyframes weighted less than this (relative to the best) are left out of the sum
MIN_SHARE = 1e-3   # a level holding less of the pixels than this is filled in from its neighbours

_BINS = 2 * AB_RANGE
_CENTRES = (np.arange(LEVELS) + 0.5) * (100.0 / LEVELS)


def histogram(L8: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """(LEVELS, 2, _BINS) float32 pixel counts of one keyframe [L8 (h, w) uint8, ab (h, w, 2)] by
    luminance level, channel and ab unit."""
    level = (L8.ravel().astype(np.int64) * LEVELS) // 256
    out = np.empty((LEVELS, 2, _BINS), np.float32)
    for c in range(2):
        unit = np.clip(np.floor(ab[..., c].ravel()).astype(np.int64) + AB_RANGE, 0, _BINS - 1)
        out[:, c] = np.bincount(level * _BINS + unit, minlength=LEVELS * _BINS).reshape(LEVELS, _BINS)
    return out


class Palette:
    """ab per luminance level: levels (n,) in [0, 100] ascending, ab (n, 2) Lab units."""

    def __init__(self, levels: np.ndarray, ab: np.ndarray) -> None:
        self.levels = levels
        self.ab = ab

    @classmethod
    def of(cls, keyframes: list[tuple[np.ndarray, np.ndarray]], weights=None) -> "Palette":
        """The palette of keyframes [(L8 (h, w) uint8, ab (h, w, 2))], each pixel counted by its
        keyframe's weight (all 1 when None)."""
        weights = np.ones(len(keyframes)) if weights is None else np.asarray(weights, np.float64)
        return cls.of_histogram(sum(float(w) * histogram(*k) for k, w in zip(keyframes, weights)))

    @classmethod
    def of_histogram(cls, counts: np.ndarray) -> "Palette":
        """The weighted median ab per level of a (LEVELS, 2, _BINS) histogram (``histogram``, summed)."""
        per_level = counts[:, 0].sum(-1)
        kept = (per_level > 0) & (per_level >= MIN_SHARE * per_level.sum())
        if not kept.any():
            raise ValueError("a palette needs at least one keyframe pixel")
        counts = counts[kept].astype(np.float64)
        cumulative = np.cumsum(counts, axis=-1)
        half = cumulative[..., -1:] / 2.0
        j = np.minimum((cumulative < half).sum(-1), _BINS - 1)  # first bin reaching half the weight
        before = np.take_along_axis(cumulative, j[..., None], -1)[..., 0] - np.take_along_axis(counts, j[..., None], -1)[..., 0]
        inside = np.take_along_axis(counts, j[..., None], -1)[..., 0]
        fraction = np.clip((half[..., 0] - before) / np.maximum(inside, 1e-12), 0.0, 1.0)
        # the pixels of a bin sit at its floor (ab was floored into it): the median is floor + fraction
        return cls(_CENTRES[kept], (j - AB_RANGE + fraction).astype(np.float32))

    def __call__(self, L: np.ndarray) -> np.ndarray:
        """(h, w) L in [0, 100] -> (h, w, 2) float32 ab, interpolated between levels."""
        return np.stack([np.interp(L, self.levels, self.ab[:, c]) for c in range(2)], axis=-1).astype(np.float32)


def similarity_weights(query: np.ndarray, keys: np.ndarray, exclude=()) -> np.ndarray:
    """Softmax of the cosine similarity of ``query`` (d,) to each row of ``keys`` (m, d), SOFTNESS wide;
    rows in ``exclude`` get 0."""
    q = query / max(float(np.linalg.norm(query)), 1e-12)
    k = keys / np.maximum(np.linalg.norm(keys, axis=1, keepdims=True), 1e-12)
    similarity = k @ q
    similarity[list(exclude)] = -np.inf
    if not np.isfinite(similarity).any():
        raise ValueError("no keyframe left to weight")
    weights = np.exp((similarity - similarity.max()) / SOFTNESS)
    weights[weights < MIN_WEIGHT] = 0.0
    return weights / weights.sum()


class PaletteBank:
    """The model's keyframes as palette material: one histogram and one memory query each."""

    def __init__(self, keyframes: list[tuple[np.ndarray, np.ndarray]], keys: np.ndarray) -> None:
        self.keyframes = keyframes
        self.keys = keys
        self.counts = np.stack([histogram(*k) for k in keyframes])  # (m, LEVELS, 2, _BINS), 64 kB each

    def palette_for(self, query: np.ndarray, exclude=()) -> Palette:
        weights = similarity_weights(query, self.keys, exclude)
        used = np.flatnonzero(weights)
        return Palette.of_histogram(np.tensordot(weights[used], self.counts[used], axes=1))

    def held_out_error(self, picks: list[int]) -> float:
        """Mean squared ab error per pixel of palettes on keyframes they did not see: each keyframe of
        ``picks`` painted by the palette of the others, weighted by their likeness to it. Needs two
        keyframes or more."""
        errors = []
        for i in picks:
            L8, truth = self.keyframes[i]
            painted = self.palette_for(self.keys[i], exclude=(i,))(L8_to_L(L8))
            errors.append(float(((painted - truth) ** 2).sum(-1).mean()))
        return float(np.mean(errors))


def share(held_out: float, pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """Share of the palette kept over the generator's guess on one shot (see module doc):
    1 - held_out / D^2, within [0, 1]. pairs: [(palette ab, generator ab)] of some of its frames."""
    disagreement = float(np.mean([((p - g) ** 2).sum(-1).mean() for p, g in pairs]))
    if disagreement <= held_out:
        return 0.0
    return 1.0 - held_out / disagreement


HELD_OUT_KEYFRAMES = 32  # keyframes the palettes' held-out error is measured on, spread over the model's


def shot_palettes(film, analysis) -> tuple[dict, float]:
    """({shot: Palette} for the shots no keyframe of this film reaches, the palettes' held-out error).
    Each palette pools all the model's keyframes, weighted by how like the shot's frames their memory
    query is; the error is measured on up to HELD_OUT_KEYFRAMES keyframes, each painted by the palette
    of the others weighted by their likeness to it."""
    import torch

    from memovid.log import logger
    from memovid.model.inputs import L_tensor, at_size, batches
    from memovid.model.keyframes import KeyframeStore
    from memovid.scenes.signature import spread

    model, shape, config = film.model, film.shape, film.config
    if not (config.guidance and config.palette):
        return {}, 0.0
    keyframes = list(KeyframeStore.from_model(model).by_frame.values())
    shots = analysis.table.shots
    reached = {analysis.table.shot_of(number) for number in analysis.keyframes}
    bare = [i for i in range(len(shots)) if i not in reached]
    if len(keyframes) < 2 or not bare:
        return {}, 0.0
    at = [at_size(k, shape) for k in keyframes]
    with torch.inference_mode():
        keys = np.concatenate([model.query(L_tensor(b, model.device)).float().cpu().numpy()
                               for b in batches((L8_to_L(L8) for L8, _ in at), config.batch_size)])
    bank = PaletteBank(at, keys)
    palettes = {}
    for shot in bare:
        span = shots[shot]
        queries = [q for i, q in analysis.samples if span.start <= i < span.end]
        if queries:
            palettes[shot] = bank.palette_for(np.mean(queries, axis=0))
    if not palettes:
        return {}, 0.0
    error = bank.held_out_error(spread(list(range(len(keyframes))), HELD_OUT_KEYFRAMES))
    logger.info("%d shots without keyframes: part of their colour from the palette of the keyframes most like "
                "them (its error on keyframes it did not see: %.1f ab)", len(palettes), error ** 0.5)
    return palettes, error
