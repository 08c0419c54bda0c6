"""The patch memory: colour by parts, for frames no keyframe of their own shot reaches.

One colour feature per scene cannot colour a new clip: it has new places and framings. What the
strong exemplar colorizers do there is match PARTS: every position of the frame against positions of
the keyframes, on features of the gray. Here each keyframe the model holds gives, on a grid of
stride GRID, the frozen backbone's maps at strides 16 and 32 (each L2-normalised, concatenated,
then reduced by a PCA fitted on the keyframes), with the keyframe's ab and lightness at that
position. A frame's positions take their k nearest (FAISS, inner product), and blend ab by a softmax
over cosine, narrowed by lightness (a colour seen at another lightness is less likely to be this
part's); each position also reports its best cosine and how well the k agree on a hue.

What to make of a match is not decided here: memovid.paint.semantic fits, on keyframes left out
group by group, how much of the blended colour holds up (memovid.paint.hedge).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

GRID = 8               # positions every GRID pixels of the working size (the backbone's stride-8 map)
TAPS = (3, 4)          # backbone maps at strides 16 and 32 (objects, context), read on the GRID


@dataclass(frozen=True)
class PatchConfig:
    """How a frame's positions find and blend keyframe positions."""

    k: int = 32                 # neighbours per position
    softness: float = 0.05      # softmax temperature over cosine: 0.05 apart = e times less weight
    lightness: float = 10.0     # L* apart at which a neighbour's weight falls by e
    dims: int = 64              # PCA dimensions kept (the search's cost is linear in them)
    # positions past which the index is IVF (approximate) instead of flat: from 25k on, IVF searches 4-20x
    # faster and keeps 99.6 % of the exact 32 nearest (benchmarks/patch_search.py; FAISS wants 39
    # training points per list, 4 sqrt(N) lists, which 25k positions just give)
    flat_limit: int = 25_000
    ivf_probe: int = 16         # IVF lists visited per query

    def __post_init__(self) -> None:
        if self.k < 1 or self.dims < 1:
            raise ValueError(f"k and dims must be >= 1, got k={self.k}, dims={self.dims}")
        if self.softness <= 0 or self.lightness <= 0:
            raise ValueError(f"softness and lightness must be > 0, got {self.softness}, {self.lightness}")


@dataclass(frozen=True)
class Match:
    """Per position of a (B, h, w) grid: ab (B, h, w, 2) Lab units, blended from the k nearest;
    similarity (B, h, w) best cosine in [-1, 1]; agreement (B, h, w) in [0, 1]: |blended ab| over the
    blend of |ab| (1: the k agree on a hue; near 0: they cancel out)."""

    ab: np.ndarray
    similarity: np.ndarray
    agreement: np.ndarray


def position_features(backbone, L: torch.Tensor) -> torch.Tensor:
    """L (B, 1, H, W) in [0, 100], H and W multiples of the backbone's stride -> (B, H/GRID, W/GRID, D)
    float32: the TAPS maps, each upsampled to the GRID map and L2-normalised over its channels, side by
    side and scaled so that the whole vector has unit norm."""
    with torch.no_grad():
        maps = backbone(L).maps
    size = (L.shape[-2] // GRID, L.shape[-1] // GRID)
    parts = [F.normalize(F.interpolate(maps[t].float(), size=size, mode="bilinear", align_corners=False)
                         if maps[t].shape[-2:] != size else maps[t].float(), dim=1) for t in TAPS]
    return (torch.cat(parts, 1) / len(TAPS) ** 0.5).permute(0, 2, 3, 1).contiguous()


def grid_of(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """An (H, W, ...) array averaged onto a (h, w) grid (INTER_AREA)."""
    import cv2

    return cv2.resize(image.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_AREA)


class PatchMemory:
    """Keyframe positions: keys (N, dims) float32 unit-norm, ab (N, 2), L (N,) in [0, 100], group (N,)
    (which group of look-alike keyframes each came from: memovid.paint.semantic leaves one out at a time).

    ``projection`` (D, dims) and ``mean`` (D,) reduce position_features to the keys' space.
    """

    def __init__(self, keys: np.ndarray, ab: np.ndarray, L: np.ndarray, group: np.ndarray,
                 projection: np.ndarray, mean: np.ndarray, config: PatchConfig = PatchConfig(),
                 on_gpu: bool = False) -> None:
        if keys.ndim != 2 or len(keys) != len(ab) or len(ab) != len(L) or len(L) != len(group):
            raise ValueError(f"keys (N, d), ab (N, 2), L (N,), group (N,) must agree, got {keys.shape}, "
                             f"{ab.shape}, {L.shape}, {group.shape}")
        self.keys, self.ab, self.L, self.group = keys, ab.astype(np.float32), L.astype(np.float32), group
        self.projection, self.mean, self.config = projection, mean, config
        self.on_gpu = on_gpu  # the model runs on CUDA: the FAISS indexes go there too where faiss-gpu can
        self._indexes: dict = {}

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def build(cls, features: list[np.ndarray], ab: list[np.ndarray], L: list[np.ndarray], groups: list[int],
              config: PatchConfig = PatchConfig(), on_gpu: bool = False) -> "PatchMemory":
        """features: per keyframe (h, w, D) position_features; ab (h, w, 2) and L (h, w) on the same grid;
        groups: one id per keyframe."""
        raw = np.concatenate([f.reshape(-1, f.shape[-1]) for f in features]).astype(np.float32)
        mean = raw.mean(0)
        dims = min(config.dims, raw.shape[1], max(1, len(raw) - 1))
        # PCA on the keyframes' own positions: the directions their parts differ along. From the
        # (D, D) covariance's eigenvectors, not an SVD of the positions: the same directions (a sign
        # apart, which cosines do not see) in a tenth of a second where the SVD took seconds.
        centred = (raw[:: max(1, len(raw) // 20000)] - mean).astype(np.float64)
        values, vectors = np.linalg.eigh(centred.T @ centred)
        projection = np.ascontiguousarray(vectors[:, np.argsort(values)[::-1][:dims]].astype(np.float32))
        group = np.concatenate([np.full(f.shape[0] * f.shape[1], g, np.int32) for f, g in zip(features, groups)])
        return cls(_reduce(raw, mean, projection), np.concatenate([a.reshape(-1, 2) for a in ab]),
                   np.concatenate([x.ravel() for x in L]), group, projection, mean, config, on_gpu)

    def regrouped(self, group: np.ndarray) -> "PatchMemory":
        """The same positions under other group ids (whole stretches left out at once), searching the
        whole memory's index rather than building a second one."""
        other = PatchMemory(self.keys, self.ab, self.L, group, self.projection, self.mean, self.config, self.on_gpu)
        other._indexes[None] = self._index(None, None)
        return other

    def reduce(self, features: np.ndarray) -> np.ndarray:
        """(n, D) position features -> (n, dims) unit-norm keys."""
        return _reduce(features, self.mean, self.projection)

    def match(self, features: np.ndarray, L: np.ndarray, leave_out: int | None = None) -> Match:
        """features (B, h, w, D) position_features, L (B, h, w) the frame's lightness on the same grid ->
        Match. ``leave_out``: a group whose positions are not searched (the held-out fits)."""
        B, h, w, D = features.shape
        queries = self.reduce(features.reshape(-1, D))
        rows = self._rows(leave_out)
        if len(rows) == 0:
            zeros = np.zeros((B, h, w), np.float32)
            return Match(np.zeros((B, h, w, 2), np.float32), zeros - 1.0, zeros)
        sims, found = self._search(queries, min(self.config.k, len(rows)), leave_out, rows)
        logit = (sims - sims[:, :1]) / self.config.softness
        logit -= ((L.reshape(-1, 1) - self.L[found]) / self.config.lightness) ** 2
        weight = np.exp(logit - logit.max(1, keepdims=True))
        weight /= weight.sum(1, keepdims=True)
        neighbours = self.ab[found]                                     # (n, k, 2)
        ab = np.einsum("nk,nkc->nc", weight, neighbours)
        spread = (weight * np.linalg.norm(neighbours, axis=2)).sum(1)
        agreement = np.linalg.norm(ab, axis=1) / np.maximum(spread, 1e-3)
        return Match(ab.reshape(B, h, w, 2).astype(np.float32), sims[:, 0].reshape(B, h, w).astype(np.float32),
                     np.clip(agreement, 0.0, 1.0).reshape(B, h, w).astype(np.float32))

    def groups(self) -> list[int]:
        return sorted(set(self.group.tolist()))

    def _rows(self, leave_out: int | None) -> np.ndarray:
        return np.arange(len(self.keys)) if leave_out is None else np.flatnonzero(self.group != leave_out)

    def _search(self, queries: np.ndarray, k: int, leave_out: int | None, rows: np.ndarray):
        """(similarities, memory rows) of the k nearest positions outside group ``leave_out``. One index
        over the whole memory, searched past the left-out group's ids (memovid.model.memory.search);
        faiss-gpu takes no ID selector, so there the left-out group's search gets an index of ``rows``
        of its own (the last one is kept: the fits leave each group out once, for all its members)."""
        from memovid.model.memory import search

        if leave_out is None or not self.on_gpu:
            exclude = None if leave_out is None else np.flatnonzero(self.group == leave_out)
            sims, found = search(self._index(None, None), queries, k, exclude)
            return _missing_far(sims, found), np.maximum(found, 0)
        sims, found = self._index(leave_out, rows).search(queries, k)
        return _missing_far(sims, found), rows[np.maximum(found, 0)]

    def _index(self, leave_out: int | None, rows: np.ndarray | None):
        """A FAISS index over ``rows`` (None: all): flat while the memory is small, IVF past
        config.flat_limit positions (benchmarks/patch_search.py), on the GPU with a CUDA model where
        faiss-gpu can (memovid.model.memory)."""
        if leave_out not in self._indexes:
            from memovid.model.memory import flat_index, ivf_index

            for other in [g for g in self._indexes if g is not None]:
                del self._indexes[other]
            keys = self.keys if rows is None else np.ascontiguousarray(self.keys[rows])
            if len(keys) > self.config.flat_limit:
                index = ivf_index(keys, lists=int(4 * len(keys) ** 0.5), probe=self.config.ivf_probe, on_gpu=self.on_gpu)
            else:
                index = flat_index(keys.shape[1], self.on_gpu)
            index.add(keys)
            self._indexes[leave_out] = index
        return self._indexes[leave_out]


def _missing_far(sims: np.ndarray, found: np.ndarray) -> np.ndarray:
    """An IVF search past a left-out group may find fewer than k (id -1, similarity -3.4e38, which
    overflows the softmax): those count as cosine -1, the least a unit key can score."""
    return np.where(found < 0, np.float32(-1.0), sims)


def _reduce(features: np.ndarray, mean: np.ndarray, projection: np.ndarray) -> np.ndarray:
    """(n, D) position features -> (n, dims) unit-norm keys: centred, projected, normalised."""
    x = (features.astype(np.float32) - mean) @ projection
    return np.ascontiguousarray(x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6))


def grid_shape(shape: tuple[int, int]) -> tuple[int, int]:
    """The position grid of a working-size (h, w) frame: the frame is read by the backbone stretched to
    the next multiples of its stride (so that no position is padding), GRID times coarser."""
    from memovid.model.backbone import STRIDE

    return tuple(-(-side // STRIDE) * STRIDE // GRID for side in shape)  # type: ignore[return-value]


def frame_features(backbone, Ls: list[np.ndarray], device) -> np.ndarray:
    """(h, w) L arrays in [0, 100], one working size -> (B, gh, gw, D) float32 position_features on
    grid_shape's grid."""
    gh, gw = grid_shape(Ls[0].shape)
    L = torch.from_numpy(np.stack(Ls)[:, None]).to(device).float()
    L = F.interpolate(L, size=(gh * GRID, gw * GRID), mode="bilinear", align_corners=False)
    return position_features(backbone, L).cpu().numpy()


LOOK_ALIKE = 0.8  # thumbnail correlation over which two keyframes are taken for frames of one shot


def look_groups(L8s: list[np.ndarray]) -> list[int]:
    """A group id per keyframe: keyframes chained by look (32 x 32 thumbnails correlating over
    LOOK_ALIKE) share one, so that one shot's keyframes are left out together."""
    import cv2

    thumbs = []
    for L8 in L8s:
        t = cv2.resize(L8.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA).ravel()
        t -= t.mean()
        thumbs.append(t / max(float(np.linalg.norm(t)), 1e-6))
    alike = np.stack(thumbs) @ np.stack(thumbs).T >= LOOK_ALIKE if thumbs else np.zeros((0, 0), bool)
    group = list(range(len(L8s)))

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(alike, 1))):
        group[root(int(i))] = root(int(j))
    roots = [root(i) for i in range(len(L8s))]
    names = {r: n for n, r in enumerate(dict.fromkeys(roots))}
    return [names[r] for r in roots]
