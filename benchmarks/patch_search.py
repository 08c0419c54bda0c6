"""The patch memory's search (memovid.model.patches): exact (FAISS flat) against approximate (IVF) as the
memory grows, per frame of queries, and how much of the exact answer the approximate one keeps.

One frame at the default working size (256 px long side, 16:9) asks QUERIES positions for their k = 32
nearest among N keyframe positions (64 dims, unit norm, inner product). The keys are real: the frozen
backbone's reduced position features of keyframes from a real cartoon (wannaworktogether, ../shared/data,
every 6th frame), repeated with small noise to reach the larger N (the noise keeps them distinct; each
memory size is a fair stand-in for a model with that many keyframe positions, 576 per keyframe). The
queries are positions of frames the keys never saw. Baseline and candidate run in this one process.

    python benchmarks/patch_search.py [--threads 1]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLIP = DATA / "wannaworktogether" / "wannaworktogether.mp4"
SIZES = (12_800, 50_000, 150_000, 300_000)
K = 32


def real_keys(every: int = 6, limit: int = 400):
    """(keys (n, 64), queries (q, 64)): reduced position features of frames of CLIP; even frames
    give the keys, odd frames (every*2 apart) the queries."""
    import torch

    from memovid.color.lab import luma_to_L
    from memovid.model.backbone import build
    from memovid.model.inputs import working_shape
    from memovid.model.patches import PatchConfig, PatchMemory, frame_features
    from memovid.video import probe, read_frames

    info = probe(CLIP)
    shape = working_shape(info.height, info.width, 256)
    backbone = build().eval()
    keys, queries = [], []
    with torch.inference_mode():
        for f in read_frames(CLIP, mode="gray"):
            if f.index >= limit * every:
                break
            if f.index % every:
                continue
            L = luma_to_L(cv2.resize(f.image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA))
            (queries if f.index % (2 * every) else keys).append(frame_features(backbone, [L], torch.device("cpu"))[0])
    grids = [k.shape[:2] for k in keys]
    memory = PatchMemory.build(keys, [np.zeros((*g, 2), np.float32) for g in grids],
                               [np.zeros(g, np.float32) for g in grids], list(range(len(keys))), PatchConfig())
    q = memory.reduce(np.concatenate([x.reshape(-1, x.shape[-1]) for x in queries]))
    return memory.keys, q, keys[0].shape[0] * keys[0].shape[1]


def grown(keys: np.ndarray, n: int, rng) -> np.ndarray:
    reps = -(-n // len(keys))
    out = np.concatenate([keys + (0.02 * rng.standard_normal(keys.shape) if r else 0) for r in range(reps)])[:n]
    return np.ascontiguousarray(out / np.linalg.norm(out, axis=1, keepdims=True), dtype=np.float32)


def timed_search(index, queries: np.ndarray, per_frame: int) -> tuple[float, np.ndarray]:
    index.search(queries[:per_frame], K)  # warm
    started = time.perf_counter()
    _, found = index.search(queries, K)
    return 1000 * (time.perf_counter() - started) / (len(queries) / per_frame), found


def main() -> None:
    import faiss

    from memovid.model.memory import flat_index, ivf_index
    from memovid.model.patches import PatchConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0, help="FAISS OpenMP threads (0: its default)")
    args = parser.parse_args()
    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    keys, queries, per_frame = real_keys()
    queries = queries[: 8 * per_frame]  # a batch of 8 frames
    rng = np.random.default_rng(0)
    probe = PatchConfig().ivf_probe
    print(f"{per_frame} positions a frame, k = {K}, 64 dims; FAISS threads {faiss.omp_get_max_threads()}; "
          f"IVF: 4 sqrt(N) lists, {probe} probed\n")
    print("| keyframe positions N | flat ms/frame | IVF ms/frame | IVF build s | top-1 kept | top-32 kept |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in SIZES:
        data = grown(keys, n, rng)
        flat = flat_index(64)
        flat.add(data)
        t_flat, exact = timed_search(flat, queries, per_frame)
        started = time.perf_counter()
        ivf = ivf_index(data, lists=int(4 * n ** 0.5), probe=probe)
        ivf.add(data)
        build = time.perf_counter() - started
        t_ivf, approx = timed_search(ivf, queries, per_frame)
        top1 = float(np.mean(exact[:, 0] == approx[:, 0]))
        overlap = float(np.mean([len(np.intersect1d(a, b)) / K for a, b in zip(exact, approx)]))
        print(f"| {n:,} | {t_flat:.1f} | {t_ivf:.1f} | {build:.2f} | {top1:.3f} | {overlap:.3f} |", flush=True)


if __name__ == "__main__":
    main()
