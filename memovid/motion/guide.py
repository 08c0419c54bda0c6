"""Keyframe guidance: a shot's colour keyframes moved along optical flow onto the frame being coloured.

MemoPainter's memory gives a global colour feature and knows nothing about where a keyframe's colours
sit; a keyframe of the same shot says exactly that. ``KeyframeGuide`` warps the nearest keyframes of
the shot onto a target frame along DIS flow computed on the luminance, blends the one before and the
one after by temporal distance and per-pixel flow reliability, and hands the generator an ab prior with
a weight map (low at occlusions, new objects, and far from any keyframe).

The nearest keyframes in time are not always the nearest in look: animation reuses drawings (cycles,
holds, loops) and a camera returns to where it was. When another keyframe of the shot looks more like
the frame than both its neighbours in time, it is moved onto the frame too, as near as the nearer of
them; per-pixel flow reliability then decides which keyframe each pixel takes.

Each of those keyframes is also offered in place, unmoved, trusted where its luminance matches the
frame's (memovid.motion.flow.still_reliability): what a still camera shows has not moved, and taking it as it
is avoids the estimated flow's noise and resampling blur, which grow with grain and compression.

Flow is estimated at the generator's working size, but a keyframe may also carry its full-size ab
(the colourist's own painting): it is moved along the same flow, scaled up, so the colour that reaches
the output keeps the keyframe's full resolution instead of the working size's.

Two ways in: ``guide_for`` (any frame, in any order: flow straight from each keyframe to the frame)
and ``guide_shot`` (the frames of the shot in order: each keyframe is also carried frame to frame by
composed flows and both estimates are blended by reliability; this follows fast small objects that one
long jump loses, and measured better on real footage, see benchmarks/keyframes.py).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from collections import OrderedDict
from typing import Callable, Iterable, Iterator, NamedTuple

import cv2
import numpy as np

from memovid.errors import InputError
from memovid.motion.flow import FlowConfig, flow_with_reliability, still_reliability, warp, warp_up
from memovid.model.inputs import resize_to
from memovid.scratch import Scratch


FULL_SIZE_BLENDS = ("keyframe", "candidate")  # see GuideConfig.full_size


@dataclass(frozen=True)
class GuideConfig:
    """Defaults for keyframe guidance (one place).

    decay_frames: the returned weight falls as exp(-distance / decay_frames) with the temporal
        distance (in frames) to the keyframe it comes from: far keyframes say less about this frame.
    flow: flow estimation settings; keyframes and targets are at the generator's working size, so the
        flow's own working size is usually the full input.
    full_size: how full-size keyframe colour is moved. "keyframe": once per keyframe, along the
        field of whichever of its candidates weighs most at each pixel (see ``_full_size``);
        "candidate": once per candidate, the working-size blend exactly ("keyframe" is the faster at the
        same quality: notes/MEASUREMENTS.md, "Figures moved out of the code").
    """

    decay_frames: float = 30.0
    flow: FlowConfig = FlowConfig()
    full_size: str = "keyframe"

    def __post_init__(self) -> None:
        if self.decay_frames <= 0:
            raise InputError(f"decay_frames must be > 0, got {self.decay_frames}")
        if self.full_size not in FULL_SIZE_BLENDS:
            raise InputError(f"full_size must be one of {', '.join(FULL_SIZE_BLENDS)}, got {self.full_size!r}")


class Guidance(NamedTuple):
    """The ab prior keyframes give one frame.

    ab: (h, w, 2) float32 Lab units at the keyframes' (working) size.
    weight: (h, w) in [0, 1], the generator's guidance input: flow reliability x distance decay.
    full_ab: (H, W, 2) float32 at full size when the keyframes carry their full-size ab, else None.
    reliability: (h, w) in [0, 1], the flow's reliability alone: how far the moved colour can be kept
        as it is (on the keyframe itself 1). None means the same as weight.
    """

    ab: np.ndarray
    weight: np.ndarray
    full_ab: np.ndarray | None = None
    reliability: np.ndarray | None = None

    @property
    def trust(self) -> np.ndarray:
        """(h, w) in [0, 1]: how much of the moved colour to keep over a guess of the frame's own."""
        return self.weight if self.reliability is None else self.reliability


class LazyFull(NamedTuple):
    """A keyframe's full-size ab read only when a frame needs it: ``load()`` gives the (H, W, 2)
    float32 ab on the film's ``shape`` grid, or None when it cannot be used (the working-size ab,
    stretched, stands in). A shot keyframed every dozen frames for minutes would otherwise hold
    hundreds of full-size paintings at once (7.4 MB each at 720p)."""

    shape: tuple[int, int]
    load: Callable[[], np.ndarray | None]


FULL_LOADED = 6  # lazily read full-size keyframes a guide keeps loaded (the neighbours, a look-alike, spares)


THUMB_SIDE = 32  # likeness is judged on thumbnails: the whole picture's layout, not its grain


class _Candidate(NamedTuple):
    """One keyframe's estimate for a target frame, not yet resampled: the field (h, w, 2) maps the
    target's grid into the keyframe's (None: the keyframe in place); reliability (h, w) is the flow's
    along the way."""

    key: int
    field: np.ndarray | None
    reliability: np.ndarray
    distance: float
    decay: float

    def held(self) -> "_Candidate":
        """This candidate as guide_shot holds it while the shot's next keyframe is awaited: float16
        (a displacement under 128 px rounds by at most 1/32 px, a reliability by 2.5e-4): half the
        memory of up to a keyframe gap's worth of carried and backward chains."""
        return self._replace(field=None if self.field is None else self.field.astype(np.float16),
                             reliability=self.reliability.astype(np.float16))

    def used(self) -> "_Candidate":
        """Back in float32, what the warps and the blend take."""
        return self._replace(field=None if self.field is None else self.field.astype(np.float32),
                             reliability=self.reliability.astype(np.float32))


class KeyframeGuide:
    """The colour keyframes of ONE shot, and the ab prior they give any frame of that shot.

    Start a new guide (or ``clear``) at every shot boundary: keyframes never guide another shot.
    """

    def __init__(self, config: GuideConfig = GuideConfig()) -> None:
        self.config = config
        self.clear()

    def clear(self) -> None:
        """Drop all keyframes (a new shot begins)."""
        self._indices: list[int] = []  # sorted frame indices
        self._frames: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray | None]] = {}  # index -> (L8, ab, full ab)
        self._thumbs: dict[int, np.ndarray] = {}  # index -> thumbnail of L8 (see _sources)
        self._full_shape: tuple[int, int] | None = None
        self._scratch = Scratch()  # full-size intermediates of _full_size (one guide, one thread)
        self._loaded: OrderedDict[int, np.ndarray | None] = OrderedDict()  # LazyFull results, oldest first

    @property
    def indices(self) -> list[int]:
        """Frame indices of the keyframes held, ascending."""
        return list(self._indices)

    def add_keyframe(self, index: int, L8: np.ndarray, ab: np.ndarray, full_ab: np.ndarray | LazyFull | None = None) -> None:
        """Hold a keyframe of this shot.

        index: frame index within the film (or shot). L8: (H, W) uint8 luminance at working size.
        ab: (H, W, 2) float, a and b in Lab units, on the same grid. full_ab: optional (H', W', 2) ab
        of the same keyframe at the film's full size (one size per shot), or a LazyFull that reads it
        when needed (at most FULL_LOADED are kept loaded). A second keyframe at the same index
        replaces the first.
        """
        if not isinstance(L8, np.ndarray) or L8.ndim != 2 or L8.dtype != np.uint8:
            shape, dtype = getattr(L8, "shape", None), getattr(L8, "dtype", type(L8).__name__)
            raise InputError(f"keyframe L8 must be (H, W) uint8, got shape {shape} dtype {dtype}")
        if not isinstance(ab, np.ndarray) or ab.shape != (*L8.shape, 2):
            raise InputError(f"keyframe ab must be (H, W, 2) matching L8 {L8.shape}, got {getattr(ab, 'shape', None)}")
        if self._frames and next(iter(self._frames.values()))[0].shape != L8.shape:
            raise InputError(f"keyframes of one shot must share a size, got {L8.shape}")
        if isinstance(full_ab, LazyFull):
            if self._full_shape is not None and tuple(full_ab.shape) != self._full_shape:
                raise InputError(f"full-size keyframes of one shot must share a size, got {full_ab.shape}")
            self._full_shape = tuple(full_ab.shape)
            self._loaded.pop(index, None)
        elif full_ab is not None:
            if not isinstance(full_ab, np.ndarray) or full_ab.ndim != 3 or full_ab.shape[2] != 2:
                raise InputError(f"keyframe full_ab must be (H, W, 2), got {getattr(full_ab, 'shape', None)}")
            if self._full_shape is not None and full_ab.shape[:2] != self._full_shape:
                raise InputError(f"full-size keyframes of one shot must share a size, got {full_ab.shape[:2]}")
            self._full_shape = full_ab.shape[:2]
            full_ab = full_ab.astype(np.float32)
        if index not in self._frames:
            bisect.insort(self._indices, index)
        self._frames[index] = (L8, ab.astype(np.float32), full_ab)
        self._thumbs[index] = _thumbnail(L8)

    def guide_for(self, index: int, L8: np.ndarray) -> Guidance | None:
        """The ab prior for frame ``index`` of this shot, or None when the shot has no keyframe.

        L8: (H, W) uint8 luminance of the target frame at the keyframes' size.
        """
        if not self._indices:
            return None
        self._check_target(L8)
        if index in self._frames:
            return self._exact(index)
        return self._combine(self._direct_and_still(index, L8))

    def guide_shot(
        self, frames: Iterable[tuple[int, np.ndarray]]
    ) -> Iterator[tuple[int, Guidance | None]]:
        """Guidance for the frames of this shot, given and returned in display order.

        frames: (index, L8 (H, W) uint8 at the keyframes' size), ascending indices.
        Yields (index, Guidance), or (index, None) when the shot has no keyframe. Frames are held back only until the next
        keyframe arrives (the backward chain needs it), so memory is bounded by the keyframe spacing.
        """
        if not self._indices:
            for index, _ in frames:
                yield index, None
            return
        forward: _Chain | None = None  # from the last keyframe passed
        waiting: list[tuple[int, np.ndarray, tuple | None]] = []  # frames before the next keyframe
        prev_L8 = None
        for index, L8 in frames:
            self._check_target(L8)
            if forward is not None:
                forward.step(L8, prev_L8, self.config.flow)
            prev_L8 = L8
            if index in self._frames:
                # The keyframe IS this frame (colorize verified it): take the stream's own bytes, so
                # that its direct flows to its neighbours are the chains' pairs (shared), not
                # estimated again from the analysis pass's decode of it (it differs by rounding).
                _, ab, full = self._frames[index]
                self._frames[index] = (L8, ab, full)
                yield from self._finish(waiting, index)
                waiting = []
                yield index, self._exact(index)
                forward = _Chain(index, L8.shape)
                continue
            carried = None if forward is None else forward.candidate(index, self.config.decay_frames)
            if index > self._indices[-1]:  # no keyframe ahead: nothing to wait for
                yield from self._finish([(index, L8, carried)], None)
            else:  # held until the next keyframe: in half precision, a gap's worth of them
                waiting.append((index, L8, None if carried is None else carried.held()))
        yield from self._finish(waiting, None)

    def _finish(self, waiting: list, next_key: int | None) -> Iterator[tuple[int, Guidance]]:
        """Adds the backward chain from ``next_key`` and the direct warps, blends, yields in order."""
        for (index, L8, carried), back in zip(waiting, self._backward(waiting, next_key)):
            candidates = [c.used() for c in (carried, back) if c is not None]
            candidates += self._direct_and_still(index, L8)
            yield index, self._combine(candidates)

    def _backward(self, waiting: list, next_key: int | None) -> list:
        """The keyframe ``next_key`` carried back frame by frame onto each of the ``waiting`` frames: one
        held candidate per frame, or None each without a next keyframe."""
        backward: list = [None] * len(waiting)
        if next_key is not None and waiting:
            chain = _Chain(next_key, self._frames[next_key][0].shape)
            later = self._frames[next_key][0]
            for i in range(len(waiting) - 1, -1, -1):
                index, L8, _ = waiting[i]
                chain.step(L8, later, self.config.flow)
                backward[i] = chain.candidate(index, self.config.decay_frames).held()
                later = L8
        return backward

    def _check_target(self, L8: np.ndarray) -> None:
        shape = self._frames[self._indices[0]][0].shape
        if not isinstance(L8, np.ndarray) or L8.shape != shape:
            raise InputError(f"target L8 must match the keyframes' {shape}, got {getattr(L8, 'shape', None)}")

    def _neighbours(self, index: int) -> list[int]:
        """The nearest keyframe before and the nearest after (one of them at the shot's ends)."""
        pos = bisect.bisect(self._indices, index)
        return self._indices[max(0, pos - 1) : pos + 1]

    def _sources(self, index: int, L8: np.ndarray) -> list[tuple[int, float]]:
        """The keyframes to move straight onto frame ``index``, each with the distance its blend share
        is judged by: the nearest before and after (their distance in frames) and, when another
        keyframe looks more like this frame than both (a drawing reused, a loop, a camera back where it
        was), that one too, as near as the nearer of them."""
        near = [(k, float(abs(index - k))) for k in self._neighbours(index)]
        if len(self._indices) == len(near):
            return near
        thumb = _thumbnail(L8)
        unlike = {k: float(np.mean(np.abs(t - thumb))) for k, t in self._thumbs.items()}
        best = min(unlike, key=unlike.get)
        if unlike[best] < min(unlike[k] for k, _ in near):
            near.append((best, min(d for _, d in near)))
        return near

    def _direct_and_still(self, index: int, L8: np.ndarray) -> list[_Candidate]:
        """Each source keyframe (see ``_sources``) moved straight onto the target by one flow, and in
        place where its luminance already matches; both shares judged at the source's distance."""
        out = []
        for key, distance in self._sources(index, L8):
            decay = float(np.exp(-distance / self.config.decay_frames))
            f, reliability = self._direct(L8, self._frames[key][0])
            out.append(_Candidate(key, f, reliability, distance, decay))
            still = still_reliability(L8, self._frames[key][0], f, self.config.flow)
            out.append(_Candidate(key, None, still, distance, decay))
        return out

    def _direct(self, L8: np.ndarray, key_L8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The flow from the target straight to a keyframe and its reliability (a pair a chain already
        estimated is taken from it: memovid.motion.flow.shared_flows). benchmarks/guide_variants.py
        measures cheaper ways."""
        return flow_with_reliability(L8, key_L8, self.config.flow, look=True)

    def _exact(self, index: int) -> Guidance:
        _, ab, _ = self._frames[index]
        full = self._full(index)
        full = full if full is not None or self._full_shape is None else resize_to(ab, self._full_shape)
        ones = np.ones(ab.shape[:2], np.float32)
        return Guidance(ab.copy(), ones, None if full is None else full.copy(), ones)

    def _combine(self, candidates: list[_Candidate]) -> Guidance:
        """Resamples each keyframe once along its field and blends them (see ``blend``); the full-size
        ab, when the keyframes have it, goes the same way (see ``_full_size``)."""
        warped = [(_moved(self._frames[c.key][1], c.field), c.reliability, c.distance, c.decay) for c in candidates]
        weights = _weights(warped)
        ab, weight, reliability = blend(warped, weights)
        full = None if self._full_shape is None else self._full_size(candidates, weights)
        return Guidance(ab, weight, full, reliability)

    def _full(self, index: int) -> np.ndarray | None:
        """The keyframe's full-size ab, or None; a LazyFull is read on first use and kept among the
        FULL_LOADED most recently used (a frame needs its two neighbours and perhaps a look-alike)."""
        full = self._frames[index][2]
        if not isinstance(full, LazyFull):
            return full
        if index in self._loaded:
            self._loaded.move_to_end(index)
            return self._loaded[index]
        array = full.load()
        if array is not None and (array.ndim != 3 or array.shape != (*full.shape, 2)):
            raise InputError(f"keyframe {index}: full-size ab must be {(*full.shape, 2)}, got {array.shape}")
        # contiguous: OpenCV copies a strided view (an ab slice of a Lab picture) on every remap
        self._loaded[index] = None if array is None else np.ascontiguousarray(array, dtype=np.float32)
        while len(self._loaded) > FULL_LOADED:
            self._loaded.popitem(last=False)
        return self._loaded[index]

    def _full_size(self, candidates: list[_Candidate], weights: list[np.ndarray]) -> np.ndarray:
        """The full-size ab blend. With ``full_size`` "keyframe" (the default) each keyframe is moved
        ONCE, along the field of whichever of its candidates weighs most at each pixel (the carried
        one, the direct one, or in place), with the candidates' summed weight: where a keyframe's
        candidates are all trusted they point at the same colour, and the remap per keyframe instead
        of per candidate was the biggest share of the guide's time at 720p. Across keyframes the
        blend is kept as it is (it is the cross-fade from one keyframe to the next). "candidate":
        each candidate moved along its own field, the working-size blend exactly."""
        per_keyframe = self.config.full_size == "keyframe"
        size = self._full_shape
        groups: dict[int, list[tuple[_Candidate, np.ndarray]]] = {}
        for i, (c, w) in enumerate(zip(candidates, weights)):
            groups.setdefault(c.key if per_keyframe else i, []).append((c, w))
        # Full-size (H, W, 2) sums in OpenCV (numpy's broadcasts over 2 are slow); the weights are
        # summed and doubled to two channels at the working size, then stretched: bilinear
        # resizing is linear, so this is the full-size sum of the stretched weights.
        # The full-size intermediates are the guide's own arrays, reused from frame to frame
        # (memovid.scratch); only the blend returned is new.
        scratch = self._scratch
        full_shape = (*size, 2)
        num = scratch.get("full sum", full_shape)
        for n, group in enumerate(groups.values()):
            key = group[0][0].key
            small_ab, full = self._frames[key][1], self._full(key)
            if full is None:
                full = _stretch(small_ab, size, scratch.get("full keyframe", full_shape))
            field = _heaviest_field(group)
            if field is not None:
                full = warp_up(full, field, scratch.get("full moved", full_shape), scratch)
            w = sum(w for _, w in group)
            w = _stretch(cv2.merge((w, w)), size, scratch.get("full weight", full_shape))
            if n == 0:
                cv2.multiply(full, w, dst=num)
            else:
                cv2.accumulateProduct(full, w, num)
        den = sum(weights)  # the groups split the candidates: all their weights
        return cv2.divide(num, _stretch(cv2.merge((den, den)), size, scratch.get("full weight", full_shape)))


def _stretch(small: np.ndarray, size: tuple[int, int], out: np.ndarray) -> np.ndarray:
    """``small`` resized bilinearly to ``size`` (h, w), into ``out`` (as memovid.model.inputs.resize_to
    does when it enlarges)."""
    return cv2.resize(small, (size[1], size[0]), dst=out, interpolation=cv2.INTER_LINEAR)


def _heaviest_field(group: list[tuple[_Candidate, np.ndarray]]) -> np.ndarray | None:
    """Per pixel, the field of the candidate with the largest weight (in place: zero); None when the
    keyframe is taken in place everywhere."""
    field, best = None, None
    for c, w in group:
        if best is None:
            field, best = c.field, w
            continue
        wins = w > best
        if not wins.any():
            continue
        if field is None:
            field = np.zeros((*w.shape, 2), np.float32)
        field = np.where(wins[..., None], 0.0 if c.field is None else c.field, field).astype(np.float32, copy=False)
        best = np.maximum(best, w)
    return field


class _Chain:
    """A keyframe carried frame by frame: flows are composed, so its ab is resampled only once.

    field: (H, W, 2) displacement from the current frame's grid into the keyframe; reliability: (H, W) in
    [0, 1], the product of the per-step flow reliabilities along the way.
    """

    def __init__(self, key: int, shape: tuple[int, int]) -> None:
        self.key = key
        self.field = np.zeros((*shape, 2), np.float32)
        self.reliability = np.ones(shape, np.float32)

    def step(self, L8: np.ndarray, from_L8: np.ndarray, config: FlowConfig) -> None:
        """Moves the chain from the frame ``from_L8`` (its current frame) to the frame ``L8``."""
        f, c = flow_with_reliability(L8, from_L8, config, keep=True)  # consecutive frames: shared (flow.shared_flows)
        self.field = f + warp(self.field, f)
        self.reliability = c * warp(self.reliability, f)

    def candidate(self, index: int, decay_frames: float) -> _Candidate:
        distance = abs(index - self.key)
        return _Candidate(self.key, self.field.copy(), self.reliability.copy(), float(distance),
                          float(np.exp(-distance / decay_frames)))


def _moved(ab: np.ndarray, field: np.ndarray | None) -> np.ndarray:
    """A keyframe's ab resampled along a candidate's field (None: as it is)."""
    return ab if field is None else warp(ab, field)


def _thumbnail(L8: np.ndarray) -> np.ndarray:
    h, w = L8.shape
    scale = THUMB_SIDE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(L8, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def _weights(warped: list[tuple[np.ndarray, np.ndarray, float, float]]) -> list[np.ndarray]:
    """Per-keyframe blend weights (see ``blend``): share by distance times the flow's credibility (its
    mean reliability over the frame) times its per-pixel reliability. Credibility matters once a shot
    jumps: a flow that fails over most of the frame still passes its checks here and there by chance,
    and must not dilute a keyframe that matches everywhere (measured on a looping pan: mean 0.15, but
    0.55 at one pixel in ten)."""
    inverse = np.array([1.0 / max(d, 1e-6) for _, _, d, _ in warped])
    shares = inverse / inverse.sum()
    return [np.float32(share * max(float(fc.mean()), 1e-3)) * (fc + 1e-3)  # floors: never 0/0
            for (_, fc, _, _), share in zip(warped, shares)]


def blend(
    warped: list[tuple[np.ndarray, np.ndarray, float, float]], weights: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blends keyframes already on the target grid: [(ab (H, W, 2), flow reliability (H, W) in [0, 1],
    temporal distance, distance decay in (0, 1])] -> (ab (H, W, 2), weight (H, W) in [0, 1] with
    the distance decay, reliability (H, W) in [0, 1] without it; see Guidance).

    Each keyframe's weight is its share by distance (proportional to 1 / distance: for one keyframe
    before and one after, linear interpolation between them) times its per-pixel flow reliability, so
    that a pixel occluded in one keyframe takes the other, and by its flow's credibility over the whole
    frame. Where no keyframe is trusted, shares and credibility decide (and the weight says so).
    weights: ``_weights(warped)`` when the caller already has them.
    """
    num = np.zeros_like(warped[0][0])
    den = np.zeros(warped[0][1].shape, np.float32)
    weight = np.zeros_like(den)
    reliable = np.zeros_like(den)
    for (ab, fc, _, decay), w in zip(warped, weights if weights is not None else _weights(warped)):
        num += w[..., None] * ab
        reliable += w * fc
        den += w
        weight += w * fc * np.float32(decay)
    return num / den[..., None], np.clip(weight / den, 0.0, 1.0), np.clip(reliable / den, 0.0, 1.0)
