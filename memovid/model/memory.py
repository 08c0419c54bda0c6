"""The colour memory of MemoPainter: slots of (key, colour value, age, scene id) + FAISS top-k search.

The only module that imports faiss (lazily, on the first search; the patch memory, memovid.model.patches,
builds its indexes here too). Keys are L2-normalised 512-d
queries; values are colour features (memovid.color.features); a slot with scene id -1 has never been
written and is never returned by a search. The threshold triplet loss and the update rule follow
DESIGN.md ("The paper, in numbers to keep").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from memovid.color.features import ColorFeature
from memovid.errors import DependencyError

EMPTY = -1  # scene id of a slot that was never written


@dataclass(frozen=True)
class Retrieval:
    """The k' = min(k, filled slots) nearest slots of each query, most similar first.

    slots (B, k') long; similarities (B, k') inner products in [-1, 1]; values (B, k', d) colour
    features; scene_ids (B, k') long (>= 0: empty slots are never returned).
    """

    slots: torch.Tensor
    similarities: torch.Tensor
    values: torch.Tensor
    scene_ids: torch.Tensor


@dataclass(frozen=True)
class TripletResult:
    """loss: scalar, mean over the samples that had both a positive and a negative in the top-k
    (0 with a graph when none had); the counts say how many samples found each."""

    loss: torch.Tensor
    positives: int
    negatives: int
    terms: int


def _faiss():
    try:
        import faiss
    except ImportError as error:  # faiss-cpu is a dependency; a broken install is said plainly
        raise DependencyError(f"the colour memory needs faiss ({error})") from error
    return faiss


def _gpu_resources(on_gpu: bool):
    """faiss-gpu's resources (one per process, outliving every index) when ``on_gpu`` and faiss has a
    GPU, else None."""
    faiss = _faiss()
    global _GPU
    if on_gpu and _GPU is None and hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0:
        _GPU = faiss.StandardGpuResources()
    return _GPU if on_gpu else None


_GPU = None


def flat_index(dims: int, on_gpu: bool = False):
    """An exact inner-product index, on the GPU where ``on_gpu`` (the model's device is CUDA) and faiss-gpu has one."""
    faiss = _faiss()
    gpu = _gpu_resources(on_gpu)
    return faiss.GpuIndexFlatIP(gpu, dims) if gpu is not None else faiss.IndexFlatIP(dims)


def ivf_index(keys: np.ndarray, lists: int, probe: int, on_gpu: bool = False):
    """An approximate inner-product index (inverted lists, ``probe`` of ``lists`` visited), trained on
    ``keys`` (N, d) float32; add them after. On the GPU as flat_index."""
    faiss = _faiss()
    quantiser = faiss.IndexFlatIP(keys.shape[1])
    index = faiss.IndexIVFFlat(quantiser, keys.shape[1], lists, faiss.METRIC_INNER_PRODUCT)
    index.train(keys)
    index.nprobe = probe
    gpu = _gpu_resources(on_gpu)
    if gpu is not None:
        index = faiss.index_cpu_to_gpu(gpu, 0, index)
    index.__dict__["_quantiser"] = quantiser  # the IVF index refers to it: it must live as long
    return index


def search(index, queries: np.ndarray, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(similarities (n, k), ids (n, k)) of ``queries`` in ``index``, never any of the ids in ``exclude``
    (held-out fits search the whole index rather than a copy of it per left-out group). A CPU index
    only where ``exclude`` is given (faiss-gpu takes no ID selector)."""
    if exclude is None:
        return index.search(queries, k)
    faiss = _faiss()
    sel = faiss.IDSelectorNot(faiss.IDSelectorBatch(np.ascontiguousarray(exclude, dtype=np.int64)))
    if not isinstance(index, faiss.IndexIVF):
        return index.search(queries, k, params=faiss.SearchParameters(sel=sel))
    # IVF visits only the lists nearest each query, and a left-out group (a whole stretch of the film)
    # is the query's own neighbourhood: those lists can hold nothing else, and the search would come
    # back empty (freecol's stretch fit read a mean best cosine of -0.42). Queries that found fewer
    # than k are searched again over four times the lists until they find k, then once more over four
    # times those: the first lists to fill k lie past the left-out ones, not always nearest.
    def over(rows: np.ndarray | slice, probe: int):
        return index.search(np.ascontiguousarray(queries[rows]), k, params=faiss.SearchParametersIVF(sel=sel, nprobe=probe))

    probe = index.nprobe
    sims, ids = over(slice(None), probe)
    widened = short = np.flatnonzero(ids[:, -1] < 0)
    while len(short) and probe < index.nlist:
        probe = min(4 * probe, index.nlist)
        sims[short], ids[short] = over(short, probe)
        short = short[ids[short, -1] < 0]
    if len(widened) and probe < index.nlist:
        probe = min(4 * probe, index.nlist)
        sims[widened], ids[widened] = over(widened, probe)
    return sims, ids


class ColorMemory(nn.Module):
    """Memory of ``size`` slots; keys (m, key_dim), values (m, feature.dim), ages (m), scene_ids (m).

    feature: the colour feature whose ``distance`` compares values; delta: the colour threshold;
    margin: alpha of the triplet loss; age_noise: uniform noise added to age increments (tie breaks).
    """

    def __init__(self, size: int, key_dim: int, feature: ColorFeature, delta: float, margin: float = 0.1, age_noise: float = 0.1) -> None:
        super().__init__()
        if size < 1:
            raise ValueError(f"memory size must be >= 1, got {size}")
        self.feature = feature
        self.delta = float(delta)
        self.margin = float(margin)
        self.age_noise = float(age_noise)
        self.register_buffer("keys", torch.zeros(size, key_dim))
        self.register_buffer("values", torch.zeros(size, feature.dim))
        self.register_buffer("ages", torch.zeros(size))
        self.register_buffer("scene_ids", torch.full((size,), EMPTY, dtype=torch.long))
        self._index = None  # FAISS index over the filled slots, rebuilt lazily after any write
        self._index_slots: torch.Tensor | None = None  # index row -> slot

    # ---- state -------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self.keys.shape[0]

    @property
    def filled(self) -> torch.Tensor:
        """(m,) bool: slots that hold a colour."""
        return self.scene_ids != EMPTY

    def invalidate(self) -> None:
        """Forget the FAISS index (call after writing keys directly, e.g. after loading)."""
        self._index = None
        self._index_slots = None

    def add_slots(self, n: int) -> None:
        """Grow by n empty slots (e.g. for a new scene); existing slots keep their index and content."""
        if n < 0:
            raise ValueError(f"cannot add a negative number of slots: {n}")
        dev = self.keys.device
        self.keys = torch.cat((self.keys, torch.zeros(n, self.keys.shape[1], device=dev)))
        self.values = torch.cat((self.values, torch.zeros(n, self.values.shape[1], device=dev)))
        self.ages = torch.cat((self.ages, torch.zeros(n, device=dev)))
        self.scene_ids = torch.cat((self.scene_ids, torch.full((n,), EMPTY, dtype=torch.long, device=dev)))
        self.invalidate()

    def resize_(self, size: int) -> None:
        """Make the buffers ``size`` slots long and empty (before loading a saved memory into them)."""
        self.keys = self.keys.new_zeros(size, self.keys.shape[1])
        self.values = self.values.new_zeros(size, self.values.shape[1])
        self.ages = self.ages.new_zeros(size)
        self.scene_ids = self.scene_ids.new_full((size,), EMPTY)
        self.invalidate()

    def _apply(self, fn, recurse=True):  # .to(device) moves the buffers: the index must follow
        self.invalidate()
        return super()._apply(fn, recurse)

    # ---- search ------------------------------------------------------------------------------
    def _build_index(self):
        slots = torch.nonzero(self.filled).squeeze(1)
        keys = np.ascontiguousarray(self.keys[slots].detach().float().cpu().numpy())
        index = flat_index(keys.shape[1], self.keys.is_cuda)
        index.add(keys)
        self._index, self._index_slots = index, slots
        return index

    def search(self, q: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """q: (B, key_dim) -> (slots (B, k') long, similarities (B, k')), k' = min(k, filled)."""
        if q.ndim != 2 or q.shape[1] != self.keys.shape[1]:
            raise ValueError(f"queries must be (B, {self.keys.shape[1]}), got {tuple(q.shape)}")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        n = int(self.filled.sum())
        k = min(k, n)
        if k == 0:
            empty = torch.zeros(q.shape[0], 0, device=q.device)
            return empty.long(), empty
        index = self._index if self._index is not None else self._build_index()
        sims, rows = index.search(np.ascontiguousarray(q.detach().float().cpu().numpy()), k)
        slots = self._index_slots[torch.from_numpy(rows).to(self._index_slots.device)]
        return slots.to(q.device), torch.from_numpy(sims).to(q.device)

    def retrieve(self, q: torch.Tensor, k: int = 1) -> Retrieval:
        """The k nearest filled slots of each query (see Retrieval)."""
        slots, sims = self.search(q, k)
        return Retrieval(slots, sims, self.values[slots], self.scene_ids[slots])

    # ---- training ----------------------------------------------------------------------------
    def threshold_triplet_loss(self, q: torch.Tensor, v: torch.Tensor, k: int) -> TripletResult:
        """Threshold triplet loss of queries q (B, key_dim), L2-normalised, with true colours v (B, d).

        Among the top-k slots of each query (most similar first): positive = the first whose value
        is within delta of v (distance < delta), negative = the first at distance >= delta;
        term = max(q . key_neg - q . key_pos + margin, 0). A sample with no positive or no negative
        in its top-k (an empty or one-coloured memory, early in training) contributes no term: there
        is nothing to pull it to or push it from; the update rule then writes it into the memory.
        """
        if v.shape != (q.shape[0], self.values.shape[1]):
            raise ValueError(f"colour features must be ({q.shape[0]}, {self.values.shape[1]}), got {tuple(v.shape)}")
        slots, _ = self.search(q, k)
        if slots.shape[1] == 0:
            return TripletResult(q.sum() * 0.0, 0, 0, 0)
        dist = self.feature.distance(v.unsqueeze(1), self.values[slots])  # (B, k')
        near = dist < self.delta
        has_pos, has_neg = near.any(1), (~near).any(1)
        first_pos = near.float().argmax(1)  # argmax of a 0/1 row = its first 1
        first_neg = (~near).float().argmax(1)
        rows = torch.arange(q.shape[0], device=q.device)
        key_pos = self.keys[slots[rows, first_pos]]
        key_neg = self.keys[slots[rows, first_neg]]
        terms = F.relu((q * key_neg).sum(1) - (q * key_pos).sum(1) + self.margin)
        valid = has_pos & has_neg
        loss = (terms * valid).sum() / valid.sum().clamp(min=1)
        return TripletResult(loss, int(has_pos.sum()), int(has_neg.sum()), int(valid.sum()))

    @torch.no_grad()
    def update(self, q: torch.Tensor, v: torch.Tensor, scene_id: torch.Tensor | int) -> torch.Tensor:
        """The paper's update rule for queries q (B, key_dim) with colours v (B, d) of scenes scene_id.

        All ages first grow by 1 (+ uniform [0, age_noise) noise). Then, sample by sample in batch
        order (so a later sample sees an earlier one's write): if the nearest filled slot's value is
        within delta of v, its key becomes normalise(q + key) and its age 0 (its value and scene id
        stay: they are the colour it stores); otherwise q, v and the scene id are written to an empty
        slot if any is left, else to the oldest slot, with age 0. Returns (B,) the slot each sample
        touched. The nearest slot is found exactly (inner product over the filled keys).
        """
        B = q.shape[0]
        if q.ndim != 2 or q.shape[1] != self.keys.shape[1] or v.shape != (B, self.values.shape[1]):
            raise ValueError(f"update needs q (B, {self.keys.shape[1]}) and v (B, {self.values.shape[1]}), got {tuple(q.shape)}, {tuple(v.shape)}")
        scene = torch.as_tensor(scene_id, dtype=torch.long, device=self.keys.device).expand(B)
        if (scene < 0).any():
            raise ValueError(f"scene ids must be >= 0, got {scene.tolist()}")
        q = F.normalize(q.detach().float().to(self.keys.device), dim=1)
        v = v.detach().float().to(self.keys.device)
        filled = self.filled
        self.ages[filled] += 1.0 + self.age_noise * torch.rand(int(filled.sum()), device=self.keys.device)
        touched = torch.empty(B, dtype=torch.long)
        for i in range(B):
            filled = self.filled
            slot = -1
            if filled.any():
                candidates = torch.nonzero(filled).squeeze(1)
                nearest = candidates[(self.keys[candidates] @ q[i]).argmax()]
                if self.feature.distance(v[i], self.values[nearest]) < self.delta:
                    self.keys[nearest] = F.normalize(q[i] + self.keys[nearest], dim=0)
                    slot = int(nearest)
            if slot < 0:
                empty = torch.nonzero(~filled).squeeze(1)
                slot = int(empty[0]) if len(empty) else int(self.ages.argmax())
                self.keys[slot] = q[i]
                self.values[slot] = v[i]
                self.scene_ids[slot] = scene[i]
            self.ages[slot] = 0.0
            touched[i] = slot
        self.invalidate()
        return touched
