"""How well the semantic hedge's fit predicts a new clip, in a minute: for iterating on the hedge.

A full new-clips run (benchmarks/new_clips.py) trains and paints for an hour; this reads a model and
one clip (its gray and its colour original) and works on the patch memory's grid only:

- the new clip's best cosines beside those of the model's keyframes left out by look-alike group and
  by stretch (memovid.paint.semantic), whose gap is what the hedge must bridge;
- the gains the hedge fits (g on the match, h on the shot palette, per confidence bin);
- CIEDE2000 on the grid (every 4th frame) of gray, of the hedge's mix ``g m + h p`` (no guided filter,
  no finishing: it runs a little under a real colorize but ranks alike), and the clip's oracle gains,
  the best a single (g, h) could do on it.

    python benchmarks/hedge_probe.py MODEL.memo GRAY_CLIP COLOUR_CLIP

Clips and models of the new-clips protocol: new_clips.py's split, or any film and a model trained on
another part of it. A stop-33 finding this read at once: on a stretch of wannaworktogether continuing
the training keyframes' shots, the oracle is (g 0.02, h 1.00) while the hedge kept (0, 0); since stop 34
it keeps h 0.84-1.0 there (the palette's gain refitted over all stretches, memovid.paint.hedge).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import torch

from memovid.color.ciede2000 import ciede2000
from memovid.color.lab import luma_to_L, rgb8_to_film_lab
from memovid.model.bundle import MemoModel
from memovid.model.inputs import L_tensor, at_size, working_shape
from memovid.model.patches import grid_of, grid_shape
from memovid.paint.hedge import _gains, confidence
from memovid.paint.semantic import SemanticSource, _palette_bank
from memovid.scenes import split_file
from memovid.video import read_frames

EVERY = 4  # frames of the clip read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("gray", type=Path)
    parser.add_argument("truth", type=Path)
    args = parser.parse_args()
    model = MemoModel.load(args.model)
    model.eval()
    first = next(iter(read_frames(args.gray, mode="gray")))
    shape = working_shape(*first.image.shape, int(model.metadata.get("train", {}).get("size", 256)))
    source = SemanticSource.of(model, shape)
    if source is None:
        raise SystemExit(f"{args.model}: fewer than two keyframes, no patch memory")
    fitted = source.fitted
    bank = _palette_bank(model, [at_size(k, shape) for k in source.keyframes], 8)
    table = split_file(args.gray)
    grid = grid_shape(shape)
    sims, matched, truths, shots, queries, Ls = [], [], [], [], [], []
    for g, t in zip(read_frames(args.gray, mode="gray"), read_frames(args.truth, mode="rgb")):
        if g.index % EVERY:
            continue
        L = luma_to_L(cv2.resize(g.image, shape[::-1], interpolation=cv2.INTER_AREA))
        match, _ = source.matches([L])
        with torch.inference_mode():
            queries.append(model.query(L_tensor([L], model.device)).float().cpu().numpy()[0])
        sims.append(confidence(match)[0].ravel())
        matched.append(match.ab[0].reshape(-1, 2))
        truths.append(grid_of(rgb8_to_film_lab(t.image), grid).reshape(-1, 3))
        shots.append(table.shot_of(g.index))
        Ls.append(L)
    palettes = {s: bank.palette_for(np.mean([q for q, x in zip(queries, shots) if x == s], axis=0)) for s in set(shots)}
    pal = np.concatenate([grid_of(palettes[s](L), grid).reshape(-1, 2) for s, L in zip(shots, Ls)])
    sims, matched, truth = np.concatenate(sims), np.concatenate(matched), np.concatenate(truths)
    as_t = lambda x: torch.from_numpy(x).float()  # noqa: E731
    gray = truth.copy()
    gray[:, 1:] = 0
    e_gray = ciede2000(as_t(gray), as_t(truth)).numpy()
    hedge = fitted.with_palette or fitted.hedge
    mixed = truth.copy()
    mixed[:, 1:] = hedge(sims)[:, None] * matched + hedge.palette_gain(sims)[:, None] * pal
    e_mix = ciede2000(as_t(mixed), as_t(truth)).numpy()
    m, t, p = matched.astype(np.float64), truth[:, 1:].astype(np.float64), pal.astype(np.float64)
    oracle = _gains(np.array([(m * t).sum(), (m * m).sum(), (p * t).sum(), (p * p).sum(), (m * p).sum()]))
    deciles = np.clip(np.digitize(sims, np.quantile(sims, np.linspace(0, 1, 11))[1:-1]), 0, 9)
    print(f"{args.model.name} on {args.gray.name}: {len(source.keyframes)} keyframes, {len(fitted.memory)} positions, "
          f"{len(sims)} clip positions (every {EVERY}th frame)")
    print(f"clip best cosine p25/50/75: {np.round(np.quantile(sims, [0.25, 0.5, 0.75]), 3).tolist()}; "
          f"matched level (look-alike groups left out, p25): {fitted.level:.3f}")
    print(f"hedge bins (edges {np.round(hedge.edges[1:-1], 3).tolist()}): g {np.round(hedge.gain, 2).tolist()}, "
          f"h {np.round(hedge.palette, 2).tolist()}")
    print(f"clip oracle (g, h): {np.round(oracle, 2).tolist()}")
    print(f"CIEDE2000 on the grid: gray {e_gray.mean():.2f}, hedged mix {e_mix.mean():.2f}; least confident tenth "
          f"{e_mix[deciles == 0].mean():.2f} vs gray {e_gray[deciles == 0].mean():.2f}")


if __name__ == "__main__":
    main()
