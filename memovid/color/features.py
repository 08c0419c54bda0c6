"""Colour features of MemoPainter: what a memory slot stores and what the generator is told.

One interface (``ColorFeature``): ``dim``; ``compute(ab, L)`` from an ab batch (B, 2, H, W) -> (B, dim);
``distance(x, y)`` between features with matching leading dims (..., dim) -> (...); ``embed(v)``, the
network-friendly form the generator's AdaIN MLP and the discriminator read. Registered in ``FEATURES``.

- ``dist`` (C_dist): the distribution of a pixel's ab over the in-gamut bins of a grid of 10 Lab units,
  compared by KL divergence (epsilon-smoothed, so empty bins give finite distances).
- ``rgb`` (C_RGB): the 10 most frequent colours (30-d, Lab), compared by CIEDE2000 between matched
  colours.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from memovid.color.ciede2000 import ciede2000
from memovid.color.lab import rgb_to_lab

AB_STEP = 10.0  # paper: ab quantised on a grid of 10
AB_MAX = 110.0
_GRID = int(2 * AB_MAX / AB_STEP) + 1  # 23 grid points per axis, centres -110, -100, ..., 110


def _check_ab(ab: torch.Tensor) -> None:
    if not isinstance(ab, torch.Tensor) or ab.ndim != 4 or ab.shape[1] != 2:
        shape = tuple(ab.shape) if isinstance(ab, torch.Tensor) else type(ab).__name__
        raise ValueError(f"ab must be a (B, 2, H, W) tensor, got {shape}")


@lru_cache(maxsize=1)
def in_gamut_grid() -> torch.Tensor:
    """(23, 23) bool: grid cells (centre a, b = -110 + 10 i, -110 + 10 j, half-width 5) that some
    8-bit sRGB colour falls in.

    Computed from the six faces of the 8-bit RGB cube: the ab projection of the gamut solid is the
    projection of its surface (every vertical line through the solid leaves it through the surface),
    so the faces give the same cells as all 16.7 M colours at 1/43 of the cost.
    """
    t = torch.arange(256, dtype=torch.float64) / 255.0
    u, v = torch.meshgrid(t, t, indexing="ij")
    faces = []
    for axis in range(3):
        for value in (0.0, 1.0):
            channels = [u, v]
            channels.insert(axis, torch.full_like(u, value))
            faces.append(torch.stack(channels))
    ab = rgb_to_lab(torch.stack(faces))[:, 1:].permute(1, 0, 2, 3).reshape(2, -1)  # (2, N)
    cells = torch.round((ab + AB_MAX) / AB_STEP).long().clamp(0, _GRID - 1)
    grid = torch.zeros(_GRID, _GRID, dtype=torch.bool)
    grid[cells[0], cells[1]] = True
    return grid


@lru_cache(maxsize=1)
def _bin_tables() -> tuple[torch.Tensor, torch.Tensor]:
    """(centres (Q, 2) ab of the in-gamut bins, lut (23*23,) grid cell -> nearest in-gamut bin)."""
    grid = in_gamut_grid()
    axis = torch.arange(_GRID, dtype=torch.float32) * AB_STEP - AB_MAX
    ga, gb = torch.meshgrid(axis, axis, indexing="ij")
    all_centres = torch.stack((ga.reshape(-1), gb.reshape(-1)), 1)  # (529, 2)
    centres = all_centres[grid.reshape(-1)]
    # Out-of-gamut cells (only reachable by predicted or clipped ab) go to their nearest bin.
    lut = torch.cdist(all_centres, centres).argmin(1)
    return centres, lut


class ColorFeature:
    """Interface of a colour feature (see the module docstring). Subclasses set ``name`` and ``dim``."""

    name: str = ""
    dim: int = 0

    def compute(self, ab: torch.Tensor, L: torch.Tensor | None = None) -> torch.Tensor:
        """ab: (B, 2, H, W) Lab units; L: (B, 1, H, W) in [0, 100] when the feature needs it."""
        raise NotImplementedError

    def distance(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """x, y: (..., dim), broadcastable -> (...) >= 0, 0 for identical features."""
        raise NotImplementedError

    def embed(self, v: torch.Tensor) -> torch.Tensor:
        """(..., dim) feature -> (..., dim) of order-one values for the networks."""
        return v

    def mix(self, values: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """(B, k, dim) features + (B, k) weights summing to 1 -> (B, dim): what k retrieved slots say
        together. A feature that has no meaningful average keeps the heaviest one."""
        return values[torch.arange(values.shape[0], device=values.device), weights.argmax(1)]


class ColorDistribution(ColorFeature):
    """C_dist: the share of pixels in each in-gamut ab bin, (B, Q), rows sum to 1.

    assignment "hard": each pixel counts in the bin of its nearest grid cell; "soft": bilinear
    splatting over the 4 surrounding grid cells (smooth in ab, so features of slightly different
    shades stay close). distance = KL(x || y) with both smoothed as (p + eps) / (1 + Q eps): empty bins
    give a finite, bounded distance (at most about ln(1 / eps)), never 0 * log 0 = NaN.
    """

    name = "dist"

    def __init__(self, assignment: str = "soft", eps: float = 1e-4) -> None:
        if assignment not in ("hard", "soft"):
            raise ValueError(f"assignment must be 'hard' or 'soft', got {assignment!r}")
        self.assignment = assignment
        self.eps = eps
        self.dim = int(in_gamut_grid().sum())

    @property
    def centres(self) -> torch.Tensor:
        """(Q, 2) ab of the bin centres."""
        return _bin_tables()[0]

    def compute(self, ab: torch.Tensor, L: torch.Tensor | None = None) -> torch.Tensor:
        _check_ab(ab)
        B = ab.shape[0]
        lut = _bin_tables()[1].to(ab.device)
        pos = ((ab.detach().float().clamp(-AB_MAX, AB_MAX) + AB_MAX) / AB_STEP).flatten(2)  # (B, 2, N)
        if self.assignment == "hard":
            cell = torch.round(pos).long()
            corners = [(cell[:, 0] * _GRID + cell[:, 1], torch.ones_like(pos[:, 0]))]
        else:
            lo = pos.floor().clamp(max=_GRID - 2)
            frac = pos - lo
            lo = lo.long()
            corners = [
                ((lo[:, 0] + da) * _GRID + lo[:, 1] + db, (frac[:, 0] if da else 1 - frac[:, 0]) * (frac[:, 1] if db else 1 - frac[:, 1]))
                for da in (0, 1)
                for db in (0, 1)
            ]
        offset = torch.arange(B, device=ab.device).view(B, 1) * self.dim
        hist = torch.zeros(B * self.dim, device=ab.device)
        for cell_index, weight in corners:
            hist.index_add_(0, (lut[cell_index] + offset).reshape(-1), weight.reshape(-1))
        hist = hist.view(B, self.dim)
        return hist / hist.sum(1, keepdim=True)

    def distance(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        p = (x.float() + self.eps) / (1 + self.dim * self.eps)
        q = (y.float() + self.eps) / (1 + self.dim * self.eps)
        return (p * (p.log() - q.log())).sum(-1).clamp(min=0)

    def embed(self, v: torch.Tensor) -> torch.Tensor:
        # Hellinger embedding: unit norm, and rare colours still get a visible share.
        return v.clamp(min=0).sqrt()

    def mix(self, values: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        # A weighted sum of distributions is a distribution: the colours of all k slots, each by its weight.
        return (weights.to(values.dtype)[..., None] * values).sum(1)


class DominantColors(ColorFeature):
    """C_RGB: the 10 most frequent colours of an image, (B, 30) = 10 x (L, a, b), most frequent first.

    Quantisation: a pixel's colour cell is (floor(L / 10), round(a / 10), round(b / 10)); cells are
    ranked by pixel count (ties: lower cell code first) and each colour is the MEAN Lab of its cell's
    pixels (so a flat colour comes back exactly). Fewer than 10 cells: the list is repeated cyclically.
    distance = symmetric chamfer CIEDE2000: each colour of x is matched to its nearest colour of y
    and vice versa, and the two mean differences are averaged (robust to two colours of near-equal
    frequency swapping ranks, which rank-by-rank matching is not).
    """

    name = "rgb"
    count = 10
    dim = 30

    def compute(self, ab: torch.Tensor, L: torch.Tensor | None = None) -> torch.Tensor:
        _check_ab(ab)
        if L is None or L.shape != (ab.shape[0], 1, *ab.shape[2:]):
            got = None if L is None else tuple(L.shape)
            raise ValueError(f"C_RGB needs L of shape {(ab.shape[0], 1, *ab.shape[2:])}, got {got}")
        lab = torch.cat((L, ab), 1).detach().float().flatten(2)  # (B, 3, N)
        lq = (lab[:, 0] / 10).floor().clamp(0, 10).long()
        abq = torch.round((lab[:, 1:].clamp(-AB_MAX, AB_MAX) + AB_MAX) / AB_STEP).long()
        codes = (lq * _GRID + abq[:, 0]) * _GRID + abq[:, 1]  # (B, N)
        out = []
        for b in range(lab.shape[0]):
            cells, inverse, counts = torch.unique(codes[b], return_inverse=True, return_counts=True)
            sums = torch.zeros(len(cells), 3, device=lab.device).index_add_(0, inverse, lab[b].T)
            means = sums / counts.unsqueeze(1)
            order = torch.sort(counts, descending=True, stable=True).indices[: self.count]
            pick = order[torch.arange(self.count, device=lab.device) % len(order)]
            out.append(means[pick].reshape(-1))
        return torch.stack(out)

    def distance(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x = x.float().unflatten(-1, (self.count, 3))
        y = y.float().unflatten(-1, (self.count, 3))
        d = ciede2000(x.unsqueeze(-2), y.unsqueeze(-3))  # (..., 10, 10)
        return 0.5 * (d.min(-1).values.mean(-1) + d.min(-2).values.mean(-1))

    def embed(self, v: torch.Tensor) -> torch.Tensor:
        lab = v.unflatten(-1, (self.count, 3))
        scale = torch.tensor((50.0, AB_MAX, AB_MAX), device=v.device)
        shift = torch.tensor((50.0, 0.0, 0.0), device=v.device)
        return ((lab - shift) / scale).flatten(-2)


FEATURES: dict[str, type[ColorFeature]] = {"dist": ColorDistribution, "rgb": DominantColors}


def make_feature(kind: str) -> ColorFeature:
    """The registered colour feature called ``kind`` ("dist" or "rgb"), with its default settings."""
    if kind not in FEATURES:
        raise ValueError(f"unknown colour feature {kind!r}; known: {sorted(FEATURES)}")
    return FEATURES[kind]()
