"""Dense optical flow on luminance (OpenCV DIS) with a per-pixel reliability.

Convention (OpenCV's): ``f = flow(a, b)`` is defined on the grid of ``a`` and says where each pixel of
``a`` is found in ``b``: ``a[y, x] ~ b[y + f[y, x, 1], x + f[y, x, 0]]``. Hence ``warp(b_image, f)``
brings anything that lives on ``b``'s grid (its ab, its colour) onto ``a``'s grid. To carry the
previous frame's colour to the current one: ``warp(prev_ab, flow(cur_L8, prev_L8))``.

Flow is estimated at a reduced working size (DIS is coarse-to-fine anyway and the chroma it moves is
smooth), then scaled back to the input size.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator

import cv2
import numpy as np

from memovid.errors import InputError
from memovid.timing import staged
from memovid.scratch import Scratch

_PRESETS = {
    "ultrafast": cv2.DISOpticalFlow_PRESET_ULTRAFAST,
    "fast": cv2.DISOpticalFlow_PRESET_FAST,
    "medium": cv2.DISOpticalFlow_PRESET_MEDIUM,
}


@dataclass(frozen=True)
class FlowConfig:
    """Defaults for flow estimation and its reliability (one place).

    max_side: long side of the working size in pixels (inputs larger than this are shrunk; smaller
        ones are used as they are).
    preset: DIS preset, one of "ultrafast", "fast", "medium".
    fb_px / fb_rel: forward-backward tolerance in working-size pixels: a pixel is trusted when its
        round-trip error is small against fb_px + fb_rel * |motion| (fast motion is allowed more slack).
    photo_sigma: tolerance on the luminance of the warped image, in 8-bit levels (0-255).
    refinement: DIS's variational refinement iterations per scale; None: the preset's (5 for "fast"
        and "medium"; 5 in a preset file gives OpenCV's medium exactly). 2 moves keyframe colour as
        well as medium's 5 and makes each flow about a quarter cheaper (benchmarks/keyframes.py;
        notes/MEASUREMENTS.md, "Figures moved out of the code").
    """

    max_side: int = 320
    preset: str = "medium"
    fb_px: float = 0.75
    fb_rel: float = 0.05
    photo_sigma: float = 12.0
    refinement: int | None = 2

    def __post_init__(self) -> None:
        if self.preset not in _PRESETS:
            raise InputError(f"flow preset must be one of {sorted(_PRESETS)}, got {self.preset!r}")
        if self.max_side < 16:
            raise InputError(f"flow max_side must be at least 16, got {self.max_side}")
        if min(self.fb_px, self.photo_sigma) <= 0 or self.fb_rel < 0:
            raise InputError("flow tolerances fb_px and photo_sigma must be > 0 and fb_rel >= 0")
        if self.refinement is not None and not (isinstance(self.refinement, int) and 0 <= self.refinement <= 100):
            raise InputError(f"flow refinement must be a whole number of iterations 0-100 (or None), got {self.refinement!r}")


@staged("flow")
def flow(a_L8: np.ndarray, b_L8: np.ndarray, config: FlowConfig = FlowConfig()) -> np.ndarray:
    """Dense flow from ``a`` to ``b`` on ``a``'s grid: (H, W, 2) float32 (dx, dy) in input pixels.

    a_L8, b_L8: (H, W) uint8 luminance of the same size.
    """
    a_small, b_small, scale = _shrink_pair(a_L8, b_L8, config)
    small = _dis(a_small, b_small, config)
    return grow_flow(small, a_L8.shape, scale)


@staged("flow")
def flow_with_reliability(
    a_L8: np.ndarray, b_L8: np.ndarray, config: FlowConfig = FlowConfig(), *, keep: bool = False,
    last: bool = False, look: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Flow from ``a`` to ``b`` (as ``flow``) and its reliability, both on ``a``'s grid.

    Returns ((H, W, 2) float32 flow in input pixels, (H, W) float32 reliability in [0, 1]).
    The reliability is the product of a forward-backward term (the flow back from ``b`` must return to
    the start) and a photometric term (``b`` warped onto ``a`` must look like ``a``): both drop at
    occlusions, disocclusions, frame borders the motion uncovers, and where fast motion defeats DIS.
    keep: inside ``shared_flows``, keep this pair's two DIS fields for the next stage that asks for
    the pair either way round (consecutive frames: the keyframe chains and the temporal smoother).
    last: this stage is the pair's last user (the smoother, after both chains): a kept pair is taken
    from the cache and dropped, and a pair not kept is not stored.
    look: take the pair from the cache when another stage kept it, but do not keep it (a keyframe's
    direct flow: its pair is a chain's only next to the keyframe).
    """
    a_small, b_small, scale = _shrink_pair(a_L8, b_L8, config)
    fwd, bwd = _dis_both(a_small, b_small, config, keep, last, look)  # (h, w, 2) each, working-size pixels
    rel = _reliability(a_small, b_small, fwd, bwd, config)
    if rel.shape != a_L8.shape:
        rel = cv2.resize(rel, (a_L8.shape[1], a_L8.shape[0]), interpolation=cv2.INTER_LINEAR)
    return grow_flow(fwd, a_L8.shape, scale), np.clip(rel, 0.0, 1.0, out=rel)


class FlowCache:
    """DIS fields of frame pairs that several stages of one pass ask for, bounded by bytes (oldest
    out). Keyed by the two pictures' content, so each stage may keep its own copies of the frames.

    In pass 2 each pair of consecutive frames is estimated by the chain from the keyframe before, the
    chain from the keyframe after (the same pair the other way round: DIS(a, b) and DIS(b, a) are the
    two fields of either) and the temporal smoother: once, with this cache, instead of three times.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pairs: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = 0

    @staticmethod
    def key(a: np.ndarray, b: np.ndarray, config: FlowConfig) -> tuple:
        return (_digest(a), _digest(b), a.shape, config.preset, config.refinement)

    def get(self, a: np.ndarray, b: np.ndarray, config: FlowConfig, drop: bool = False) -> tuple[np.ndarray, np.ndarray] | None:
        """(DIS(a, b), DIS(b, a)) when either order was kept, else None; ``drop``: and forget it."""
        key = self.key(a, b, config)
        swapped = (key[1], key[0], *key[2:])
        pair = self._pairs.get(key)
        if pair is None and swapped in self._pairs:
            key, pair = swapped, self._pairs[swapped][::-1]
        if pair is not None and drop:
            del self._pairs[key]
            self._bytes -= pair[0].nbytes + pair[1].nbytes
        if pair is None:
            self.misses += 1
        else:
            self.hits += 1
        return pair

    def put(self, a: np.ndarray, b: np.ndarray, config: FlowConfig, fwd: np.ndarray, bwd: np.ndarray) -> None:
        key = self.key(a, b, config)
        if key in self._pairs:
            return
        self._pairs[key] = (fwd, bwd)
        self._bytes += fwd.nbytes + bwd.nbytes
        while self._bytes > self.max_bytes and self._pairs:
            old_fwd, old_bwd = self._pairs.popitem(last=False)[1]
            self._bytes -= old_fwd.nbytes + old_bwd.nbytes


_shared: ContextVar[FlowCache | None] = ContextVar("memovid_flow_cache", default=None)
# A backstop: pairs leave when their last user (the smoother) takes them, so what stays is about one
# keyframe gap of pairs (13 frames: 8 MB at the 256 px working size); 80 pairs at 256 px.
SHARED_BYTES = 48 << 20


@contextmanager
def shared_flows(max_bytes: int = SHARED_BYTES) -> Iterator[FlowCache]:
    """Within the block, flows asked for with ``keep`` are estimated once per pair of pictures."""
    cache = FlowCache(max_bytes)
    token = _shared.set(cache)
    try:
        yield cache
    finally:
        _shared.reset(token)


def _dis_both(a: np.ndarray, b: np.ndarray, config: FlowConfig, keep: bool,
              last: bool = False, look: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(DIS(a, b), DIS(b, a)), from the shared cache when a stage kept them (see flow_with_reliability)."""
    cache = _shared.get() if keep or last or look else None
    pair = None if cache is None else cache.get(a, b, config, drop=last)
    if pair is None:
        pair = _dis(a, b, config), _dis(b, a, config)
        if cache is not None and keep and not last:
            cache.put(a, b, config, *pair)
    return pair


def _digest(image: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(image).data, digest_size=16).digest()


STILL_SIGMA = 2.0  # working-size pixels over which still_reliability averages the flow before judging it


def still_reliability(a_L8: np.ndarray, b_L8: np.ndarray, flow_ab: np.ndarray,
                     config: FlowConfig = FlowConfig()) -> np.ndarray:
    """(H, W) float32 in [0, 1] on ``a``'s grid: how far ``b`` taken in place (no motion) can stand for
    ``a``: where the flow from ``a`` to ``b`` (``flow_ab``, as ``flow`` returns) finds no motion beyond
    its own tolerance (fb_px, in working-size pixels) and the luminance in place agrees (the
    photometric term of ``flow_with_reliability``). What a still camera shows has not moved: taken as it
    is, it escapes the estimated flow's noise and resampling blur, which grow with grain and
    compression. The flow's verdict keeps a pan's chance luminance matches out."""
    a_small, b_small, scale = _shrink_pair(a_L8, b_L8, config)
    h, w = a_small.shape
    motion = flow_ab if flow_ab.shape[:2] == (h, w) else cv2.resize(flow_ab, (w, h), interpolation=cv2.INTER_AREA)
    if scale != (1.0, 1.0):
        motion = cv2.multiply(motion, (1.0 / scale[0], 1.0 / scale[1], 0.0, 0.0))  # (dx, dy) working px
    # The local mean motion: a noisy flow on a grainy or compressed frame jitters around zero where
    # nothing moves; averaged over a few pixels the jitter cancels and a real motion stays.
    motion = cv2.GaussianBlur(motion, (0, 0), STILL_SIGMA)
    photo = (a_small.astype(np.float32) - b_small) / np.float32(config.photo_sigma)
    # The still term exp(-|motion|^2 / 2 fb_px^2) and the photometric one in one exponential, in
    # numpy's element-wise arithmetic (see _reliability on OpenCV's vector paths).
    rel = np.float32(-0.5 / config.fb_px ** 2) * (motion[..., 0] ** 2 + motion[..., 1] ** 2) + np.float32(-0.5) * photo * photo
    np.exp(rel, out=rel)
    if rel.shape != a_L8.shape:
        rel = cv2.resize(rel, (a_L8.shape[1], a_L8.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.clip(rel, 0.0, 1.0, out=rel)


def _reliability(a: np.ndarray, b: np.ndarray, fwd: np.ndarray, bwd: np.ndarray, config: FlowConfig) -> np.ndarray:
    """(h, w) float32 reliability of the flow ``fwd`` from ``a`` to ``b`` (``bwd`` the flow back), all
    at working size; see flow_with_reliability."""
    back_at_target = warp(bwd, fwd)
    # numpy's element-wise arithmetic throughout, not OpenCV's magnitude / exp: their vector paths
    # (fused multiply-add, approximations) differ from their scalar ones in the last bits, and which
    # pixels take which depends on the arrays' memory alignment: the same frames gave different
    # reliabilities run to run, and training from them drifted apart.
    fb = fwd + back_at_target
    fb_err2 = fb[..., 0] ** 2 + fb[..., 1] ** 2
    motion = np.sqrt(fwd[..., 0] ** 2 + fwd[..., 1] ** 2 + back_at_target[..., 0] ** 2 + back_at_target[..., 1] ** 2)
    tol = np.float32(config.fb_px) + np.float32(config.fb_rel) * motion
    photo = (a.astype(np.float32) - warp(b.astype(np.float32), fwd)) / np.float32(config.photo_sigma)
    # One exponential for both terms: exp(-x/2) exp(-y/2) = exp(-(x + y)/2).
    rel = np.float32(-0.5) * (fb_err2 / (tol * tol) + photo * photo)
    np.exp(rel, out=rel)
    # Pixels whose match falls outside b have nothing to carry: the warp would only replicate a border.
    rel *= _inside(fwd)
    return rel


def warp(image: np.ndarray, flow_field: np.ndarray) -> np.ndarray:
    """Sample ``image`` at ``x + flow(x)``: (H, W[, C]) -> same shape and dtype, borders replicated.

    flow_field: (H, W, 2) float (dx, dy) on the output grid, as returned by ``flow``.
    """
    if flow_field.ndim != 3 or flow_field.shape[2] != 2:
        raise InputError(f"flow must be (H, W, 2), got {flow_field.shape}")
    if image.shape[:2] != flow_field.shape[:2]:
        raise InputError(f"image {image.shape} and flow {flow_field.shape} differ in size")
    channels = image.shape[2] if image.ndim == 3 else 0
    if channels > 4:  # cv2.remap handles at most 4 channels at once
        return np.stack([warp(image[..., c], flow_field) for c in range(channels)], axis=2)
    where = flow_field.astype(np.float32, copy=False) + _grid(*flow_field.shape[:2])  # (H, W, 2) (x, y)
    out = cv2.remap(image, where, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(image.shape)


def warp_up(image: np.ndarray, small_field: np.ndarray, out: np.ndarray | None = None,
            scratch: Scratch | None = None) -> np.ndarray:
    """``warp(image, grow_flow(small_field, ...))`` for an image larger than the field (full-size
    colour moved along a working-size flow), with two full-size passes instead of five.

    The sampling map (grid + flow, in full-size pixels) is built at the working size and stretched
    once: bilinear resizing reproduces the grid, a linear function, to ~1e-4 px, except in the outer
    ring of about half a working pixel where the resize replicates its edge; that ring is set right
    from a table made once per size. The map goes to remap in OpenCV's 1/32-pixel fixed point, which
    remap uses for bilinear sampling anyway (its output is the same bit for bit) but then converts
    block by block itself. One 720p move, medians of 30 on a quiet machine: 9.5 -> 8.7 ms on one
    thread, 8.5 -> 5.7 on two; the remap itself is ~7 of them.

    out: the array to write the result into (same shape and dtype as ``image``); scratch: where the
    full-size maps are kept between calls (memovid.scratch): a frame stream then makes no fresh
    full-size arrays here.
    """
    H, W = image.shape[:2]
    h, w = small_field.shape[:2]
    if (h, w) == (H, W):
        return warp(image, small_field)
    scratch = scratch or Scratch()
    base, ring = _stretched_grid(h, w, H, W)
    small = cv2.multiply(small_field.astype(np.float32, copy=False), (W / w, H / h, 0.0, 0.0))
    where = cv2.resize(cv2.add(small, base), (W, H), dst=scratch.get("warp_up map", (H, W, 2)),
                       interpolation=cv2.INTER_LINEAR)
    for strip, correction in ring:
        where[strip] += correction
    xy, fraction = cv2.convertMaps(where, None, cv2.CV_16SC2, dstmap1=scratch.get("warp_up xy", (H, W, 2), np.int16),
                                   dstmap2=scratch.get("warp_up fraction", (H, W), np.uint16))
    moved = cv2.remap(image, xy, fraction, cv2.INTER_LINEAR, dst=out, borderMode=cv2.BORDER_REPLICATE)
    return moved.reshape(image.shape)


@functools.lru_cache(maxsize=8)
def _stretched_grid(h: int, w: int, H: int, W: int) -> tuple[np.ndarray, list[tuple[tuple[slice, slice], np.ndarray]]]:
    """For warp_up: the full-size grid's coordinates sampled at the working size's pixel centres,
    (h, w, 2), and the corrections its bilinear stretch needs in the border strips, where resize
    replicates instead of extrapolating: [(strip, full grid minus stretched grid there)]."""
    xs = (np.arange(w, dtype=np.float32) + np.float32(0.5)) * np.float32(W / w) - np.float32(0.5)
    ys = (np.arange(h, dtype=np.float32) + np.float32(0.5)) * np.float32(H / h) - np.float32(0.5)
    base = np.stack(np.meshgrid(xs, ys), axis=2)
    error = _grid(H, W) - cv2.resize(base, (W, H), interpolation=cv2.INTER_LINEAR)
    kx, ky = min(W, math.ceil(W / w / 2) + 1), min(H, math.ceil(H / h / 2) + 1)
    strips = [(slice(None), slice(0, kx)), (slice(None), slice(max(kx, W - kx), W)),
              (slice(0, ky), slice(kx, max(kx, W - kx))), (slice(max(ky, H - ky), H), slice(kx, max(kx, W - kx)))]
    base.flags.writeable = False
    return base, [(s, error[s].copy()) for s in strips]


def working_size(shape: tuple[int, ...], config: FlowConfig = FlowConfig()) -> tuple[int, int]:
    """(height, width) at which flow is estimated for an input of ``shape`` (aspect kept)."""
    h, w = shape[:2]
    scale = min(1.0, config.max_side / max(h, w))
    return max(8, round(h * scale)), max(8, round(w * scale))


def _check_l8(name: str, image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.ndim != 2 or image.dtype != np.uint8:
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", type(image).__name__)
        raise InputError(f"{name} must be (H, W) uint8 luminance, got shape {shape} dtype {dtype}")


def _shrink_pair(
    a: np.ndarray, b: np.ndarray, config: FlowConfig
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    _check_l8("a_L8", a)
    _check_l8("b_L8", b)
    if a.shape != b.shape:
        raise InputError(f"flow needs frames of one size, got {a.shape} and {b.shape}")
    h, w = working_size(a.shape, config)
    if (h, w) == a.shape:  # DIS needs contiguous images; crops and views are not
        return np.ascontiguousarray(a), np.ascontiguousarray(b), (1.0, 1.0)
    a_small = cv2.resize(a, (w, h), interpolation=cv2.INTER_AREA)
    b_small = cv2.resize(b, (w, h), interpolation=cv2.INTER_AREA)
    return a_small, b_small, (a.shape[1] / w, a.shape[0] / h)


def _dis(a: np.ndarray, b: np.ndarray, config: FlowConfig) -> np.ndarray:
    # A fresh instance per call: DIS objects keep state and are not safe to share across threads.
    dis = cv2.DISOpticalFlow_create(_PRESETS[config.preset])
    if config.refinement is not None:
        dis.setVariationalRefinementIterations(config.refinement)
    return dis.calc(a, b, None)


def grow_flow(small: np.ndarray, shape: tuple[int, ...], scale: tuple[float, float]) -> np.ndarray:
    """A displacement field on a larger (H, W) grid: resampled, and its vectors scaled by (sx, sy)."""
    if scale == (1.0, 1.0):
        return small
    big = cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.multiply(big, (scale[0], scale[1], 0.0, 0.0))  # per channel, in one pass


@functools.lru_cache(maxsize=8)
def _grid(h: int, w: int) -> np.ndarray:
    """(h, w, 2) float32 pixel coordinates (x, y), read-only: made once per size, not per warp."""
    grid = np.stack(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)), axis=2)
    grid.flags.writeable = False
    return grid


def _inside(f: np.ndarray) -> np.ndarray:
    h, w = f.shape[:2]
    x = _grid(h, w)[..., 0] + f[..., 0]
    y = _grid(h, w)[..., 1] + f[..., 1]
    return ((x >= -0.5) & (x <= w - 0.5) & (y >= -0.5) & (y <= h - 0.5)).astype(np.float32)
