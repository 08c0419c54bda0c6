"""Side-by-side pictures for the README: gray | memovid | original, one row per chosen frame.

The eye judges what a mean CIEDE2000 hides: whether a character keeps its colour from shot to shot,
whether a wrong hue is confident or faint. Reads three videos of the same frames (the gray input,
memovid's output, the colour original) and writes one JPEG.

    python benchmarks/sheet.py GRAY PAINTED TRUTH --frames 10,70,130,200 --out docs/new_clip_NAME.jpg [--width 320]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from memovid.video import read_frames

LABELS = ("gray", "memovid", "original")


def pick(path: Path, wanted: set[int], width: int) -> dict[int, np.ndarray]:
    """{frame: (h, width, 3) uint8 RGB} for the wanted frames of ``path``."""
    out = {}
    for f in read_frames(path, mode="rgb"):
        if f.index in wanted:
            h, w = f.image.shape[:2]
            out[f.index] = cv2.resize(f.image, (width, round(h * width / w / 2) * 2), interpolation=cv2.INTER_AREA)
        if f.index >= max(wanted):
            break
    missing = wanted - out.keys()
    if missing:
        raise SystemExit(f"{path}: no frame {sorted(missing)}")
    return out


def sheet(videos: list[Path], frames: list[int], width: int) -> np.ndarray:
    """(rows x (label bar + picture), 3 columns) RGB, a 4-pixel gutter between pictures."""
    columns = [pick(v, set(frames), width) for v in videos]
    gutter = 4
    bar = np.full((22, width, 3), 255, np.uint8)
    heads = []
    for label in LABELS:
        b = bar.copy()
        cv2.putText(b, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        heads.append(b)
    rows = [heads] + [[c[n] for c in columns] for n in frames]
    lines = []
    for row in rows:
        pieces = []
        for picture in row:
            pieces += [picture, np.full((picture.shape[0], gutter, 3), 255, np.uint8)]
        lines += [np.concatenate(pieces[:-1], 1), np.full((gutter, pieces[0].shape[1] * 3 + 2 * gutter, 3), 255, np.uint8)]
    return np.concatenate(lines[:-1], 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gray", type=Path)
    parser.add_argument("painted", type=Path)
    parser.add_argument("truth", type=Path)
    parser.add_argument("--frames", required=True, help="comma-separated frame numbers")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--width", type=int, default=320, help="width of each picture")
    args = parser.parse_args()
    picture = sheet([args.gray, args.painted, args.truth], [int(x) for x in args.frames.split(",")], args.width)
    cv2.imwrite(str(args.out), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"{args.out}: {picture.shape[1]}x{picture.shape[0]}")


if __name__ == "__main__":
    main()
