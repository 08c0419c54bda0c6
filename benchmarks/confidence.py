"""How far to trust the "needs a keyframe" flag: retrieval confidence against the actual error, per scene.

A real film (default: the vintage live-action ``freecol_opening`` from ../shared/data, its first
``--frames`` frames) is turned black and white; a colourist's keyframes are simulated by taking
``--keys`` colour frames from every OTHER scene only, so half the scenes are known to the model and
half are not. After train and colorize, per scene: memovid's confidence and the CIEDE2000 of its
colours against the original. The figure to keep is Spearman's rank correlation between the two
(negative = lower confidence goes with larger error, as it should), and how the flag splits.

    python benchmarks/confidence.py [--clip freecol_opening] [--frames 900] [--steps 100]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

import memovid.log  # noqa: F401
from memovid.paint.colorize import colorize
from memovid.training.config import TrainConfig
from memovid.model.bundle import MemoModel
from memovid.model.confidence import CONFIDENCE_FLOOR, Calibration
from memovid.report.gather import gather
from memovid.scenes import split_file
from memovid.training.train import train
from memovid.video import EncodeOptions, read_frames, write_video
from memovid.video.frame import Frame

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLIPS = {"freecol_opening": "freecol-opening.video.ogg", "wannaworktogether": "wannaworktogether.mp4"}


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Rank correlation (average ranks for ties)."""
    def ranks(v):
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v), dtype=float)
        for value in np.unique(v):
            r[v == value] = r[v == value].mean()
        return r
    rx, ry = ranks(np.asarray(x, float)), ranks(np.asarray(y, float))
    return float(np.corrcoef(rx, ry)[0, 1])


def cut(source: Path, frames: int, work: Path) -> tuple[Path, Path]:
    """The clip's first ``frames`` frames as a lossless colour reference and its black-and-white version."""
    colour, gray = work / "colour.mkv", work / "bw.mkv"
    ffv1 = EncodeOptions(codec="ffv1")

    def first(mode):
        for f in read_frames(source, mode=mode):
            if f.index >= frames:
                return
            yield f if mode == "rgb" else Frame(np.repeat(f.image[..., None], 3, 2), f.index, f.pts, f.time_base)
    write_video(first("rgb"), colour, options=ffv1, overwrite=True)
    write_video(first("gray"), gray, options=ffv1, overwrite=True)
    return colour, gray


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", default="freecol_opening", choices=list(CLIPS))
    parser.add_argument("--frames", type=int, default=900)
    parser.add_argument("--keys", type=int, default=2, help="keyframes per known scene")
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        colour, gray = cut(DATA / args.clip / CLIPS[args.clip], args.frames, work)
        table = split_file(gray)
        known = set(range(0, len(table.scenes), 2))
        wanted = {}
        for s in sorted(known):
            scene = table.scenes[s]
            for k in range(args.keys):
                wanted[scene.start + (scene.end - scene.start) * (2 * k + 1) // (2 * args.keys)] = s
        keys = work / "keys"
        keys.mkdir()
        for f in read_frames(colour, mode="rgb"):
            if f.index in wanted:
                cv2.imwrite(str(keys / f"frame_{f.index:05d}.png"), cv2.cvtColor(f.image, cv2.COLOR_RGB2BGR))
        t0 = time.perf_counter()
        model = work / "m.memo"
        train([keys], model, config=TrainConfig(steps=args.steps), scenes=table, overwrite=True)
        t_train = time.perf_counter() - t0
        out = work / "out.mkv"
        result = colorize(gray, model, out, scenes=table, overwrite=True)
        data = gather(out, work / "report.html", input=gray, reference=colour, model=model, analysis=result.analysis)
        rows = [(s.index, s.start, s.end, s.index in known, s.confidence, s.needs_keyframe, s.metrics["CIEDE2000"])
                for s in data.scenes]
        scale = Calibration.from_model(MemoModel.load(model)).scale
    print(f"{args.clip}: first {args.frames} frames, {len(table.shots)} shots, {len(rows)} scenes "
          f"({len(known)} with {args.keys} keyframes each); train {args.steps} steps {t_train:.0f} s, "
          f"colorize {result.fps:.1f} frames/s\n")
    # The confidence is 0.5 ** ((1 - cosine) / scale), scale the model's yardstick: the raw cosine
    # similarity of the scene's queries to the memory, read back, ranks the scenes the same way.
    print(f"yardstick (cosine distance at confidence 0.5): {scale if scale is None else round(scale, 3)}\n")
    print("| scene | frames | keyframes given | raw cosine | confidence | flagged | CIEDE2000 |\n|---|---|---|---|---|---|---|")
    for i, a, b, k, c, flag, e in rows:
        raw = "-" if scale is None else f"{1.0 - scale * np.log2(1.0 / max(c, 1e-9)):.2f}"
        print(f"| {i} | {a}-{b} | {'yes' if k else 'no'} | {raw} | {c:.2f} | {'yes' if flag else ''} | {e:.2f} |")
    conf = np.array([r[4] for r in rows])
    err = np.array([r[6] for r in rows])
    given = np.array([r[3] for r in rows])
    flagged = np.array([r[5] for r in rows])
    print(f"\nSpearman(confidence, CIEDE2000) over scenes = {spearman(conf, err):+.2f} "
          f"(negative: low confidence goes with large error)")
    if (~given).any():
        print(f"scenes without keyframes: {int(flagged[~given].sum())}/{int((~given).sum())} flagged "
              f"(floor {CONFIDENCE_FLOOR}); mean CIEDE2000 flagged {err[flagged].mean() if flagged.any() else float('nan'):.2f}, "
              f"not flagged {err[~flagged].mean() if (~flagged).any() else float('nan'):.2f}")
        print(f"Spearman over scenes without keyframes only = {spearman(conf[~given], err[~given]):+.2f}"
              if (~given).sum() > 2 else "")


if __name__ == "__main__":
    main()
