"""New clips of the same characters: colour learned from the first part of a film, painted on a later part.

The film is split into shots (memovid's splitter); the clip to colorize starts at the first shot that
starts after the film's half, the shots before it give the colour (no shot is in both: a scene-disjoint split, checked by eye on each film's sheet) and runs CLIP_FRAMES frames.
Two ways to learn, as a user would:

  keyframes  a colour keyframe every 13 frames of the first-half shots, in a folder whose file names
             paint no frame of the clip, ``train`` on that folder;
  film       ``train`` on the colour first half as a video (memovid picks its own frames).

Every method paints the same gray clip and is judged with ``memovid eval``'s metrics against the
colour original:

  gray                    a = b = 0
  global mean ab          the keyframes' mean ab everywhere
  palette alone           the luminance palette of the 3 look-alike keyframes (thumbnail likeness)
  copy look-alike         the look-alike keyframe's ab, stretched
  semantic guide alone    the patch memory's hedged colour, no generator, no palette (--semantic alone)
  memovid, no semantic    memovid as before the patch memory (generator + palette, --semantic off)
  memovid, generator ...  the generator with the semantic guide as its guide input (--semantic generator)
  memovid                 the default: patch memory and palette by jointly fitted gains (--semantic mix)

Then, on the clip's frames at working size: memovid's and gray's CIEDE2000 by decile of the patch
memory's confidence (its best cosine), which says whether the least confident positions are left
near gray.

Films: freecol_opening and wannaworktogether from ../shared/data, and Megamind.avi from Debian's
opencv-doc (fetched with apt-get into bench_out/; a 4-shot restaurant scene, two characters who
return in new framings).

    python benchmarks/quality.py --new-clips freecol_opening,wannaworktogether,megamind [--steps N]
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import cv2
import numpy as np

from memovid.color.lab import luma_to_L, rgb8_to_film_lab
from memovid.paint.colorize import colorize
from memovid.paint.config import ColorizeConfig
from memovid.report.metrics import evaluate
from memovid.scenes import split_file
from memovid.training.config import TrainConfig
from memovid.training.train import train
from memovid.video import EncodeOptions, read_frames, write_video
from memovid.video.frame import Frame

ROOT = Path(__file__).resolve().parents[1]
CLIP_FRAMES = 240
KEY_EVERY = 13


def film_path(name: str, data: Path, clips: dict) -> Path:
    """A film of ../shared/data, or Megamind.avi from Debian's opencv-doc (downloaded once)."""
    if name != "megamind":
        return data / name / clips[name]
    cache = ROOT / "bench_out" / "opencv-doc"
    path = cache / "usr/share/doc/opencv-doc/examples/data/Megamind.avi"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", "opencv-doc"], cwd=cache, check=True, capture_output=True)
        deb = next(cache.glob("opencv-doc_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(cache)], check=True)
        deb.unlink()
    return path


def _cut(source: Path, start: int, end: int, out: Path, gray: bool, fps: float) -> None:
    def frames():
        for f in read_frames(source, mode="rgb"):
            if f.index >= end:
                break
            if f.index >= start:
                image = np.repeat(cv2.cvtColor(f.image, cv2.COLOR_RGB2GRAY)[..., None], 3, 2) if gray else f.image
                yield Frame(image, f.index - start)
    write_video(frames(), out, fps=fps, options=EncodeOptions(codec="ffv1"), overwrite=True)


def split(source: Path) -> tuple[list[int], int, int]:
    """(keyframe indices in the first-half shots, clip start, clip end)."""
    table = split_file(source)
    start = next((shot.start for shot in table.shots if shot.start >= table.frames // 2), table.frames // 2)
    keys = [i for shot in table.shots if shot.end <= start for i in range(shot.start, shot.end, KEY_EVERY)]
    return keys, start, min(table.frames, start + CLIP_FRAMES)


def run_new_clips(name: str, steps: int, work: Path, q) -> list[dict]:
    """q: benchmarks/quality.py (its writers, baselines and table helpers)."""
    from memovid.paint.palette import Palette
    from memovid.video import probe

    source = q.even_sized(film_path(name, q.DATA, q.CLIPS), work / f"{name}_truth.mkv")
    fps = probe(source).fps
    keys_at, start, end = split(source)
    truth, gray = work / f"{name}_nc_truth.mkv", work / f"{name}_nc_bw.mkv"
    _cut(source, start, end, truth, False, fps)
    _cut(source, start, end, gray, True, fps)
    colour_half = work / f"{name}_nc_film.mkv"
    _cut(source, 0, start, colour_half, False, fps)
    folder = work / f"{name}_nc_keys"
    lab = q.write_keyframes(source, keys_at, folder / "by_frame")
    flat = folder / "all"
    flat.mkdir()
    for n, png in enumerate(sorted((folder / "by_frame").glob("*.png"))):
        png.rename(flat / f"key_{100000 + n}.png")  # a number that paints no frame of the clip
    print(f"{name}: {len(lab)} keyframes from frames < {start}; clip {start}-{end}", flush=True)
    keys = [(q._thumb(v[..., 0]), q.L_to_L8(v[..., 0]), v[..., 1:]) for v in lab.values()]
    thumbs = np.stack([t for t, _, _ in keys])
    mean_ab = np.mean([v[..., 1:].reshape(-1, 2).mean(0) for v in lab.values()], axis=0)

    def look_alike(L: np.ndarray, n: int) -> list[int]:
        return [int(i) for i in np.argsort(-(thumbs @ q._thumb(L)))[:n]]

    baselines = {
        "gray": lambda L: np.zeros((*L.shape, 2), np.float32),
        "global mean ab": lambda L: mean_ab,
        "palette alone (3 look-alike keyframes)": lambda L: Palette.of([keys[i][1:] for i in look_alike(L, 3)])(L),
        "copy the look-alike keyframe": lambda L: cv2.resize(keys[look_alike(L, 1)[0]][2], L.shape[::-1],
                                                             interpolation=cv2.INTER_LINEAR),
    }
    rows, outputs = [], {}
    setting = f"new clip {start}-{end}"
    for method, paint in baselines.items():
        out = outputs[method] = work / f"{name}_nc_{method.split()[0]}.mkv"
        q.write_colour(gray, out, lambda index, L, paint=paint: paint(L))
        rows.append(q._row(name, setting, method, evaluate(out, truth), None))
    for learned, inputs in (("keyframes", [flat]), ("film", [colour_half])):
        model = work / f"{name}_nc_{learned}.memo"
        started = time.perf_counter()
        train(inputs, model, config=TrainConfig(steps=steps, seed=q.SEED[0]), overwrite=True)
        trained = time.perf_counter() - started
        for method, semantic in (("semantic guide alone", "alone"), ("memovid, no semantic guide", "off"),
                                 ("memovid, generator guided by it", "generator"), ("memovid", "mix")):
            out = outputs[f"{learned}: {method}"] = work / f"{name}_nc_{learned}_{semantic}.mkv"
            result = colorize(gray, model, out, config=ColorizeConfig(semantic=semantic), overwrite=True)
            rows.append(q._row(name, f"{setting}, learned from {learned}", method, evaluate(out, truth),
                               (trained, result.fps)))
        if learned == "keyframes":
            print(decile_table(name, model, gray, truth, outputs[f"{learned}: memovid"]), flush=True)
    print(q._markdown(rows), flush=True)
    return rows


def decile_table(name: str, model_path: Path, gray: Path, truth: Path, painted: Path) -> str:
    """memovid's and gray's CIEDE2000 on the clip's positions (working size, every 4th frame) by decile
    of the patch memory's confidence."""
    import torch

    from memovid.color.ciede2000 import ciede2000
    from memovid.model.bundle import MemoModel
    from memovid.model.inputs import working_shape
    from memovid.model.patches import grid_of, grid_shape
    from memovid.paint.hedge import confidence
    from memovid.paint.semantic import SemanticSource

    model = MemoModel.load(model_path)
    model.eval()
    first = next(iter(read_frames(gray, mode="gray")))
    shape = working_shape(*first.image.shape, int(model.metadata.get("train", {}).get("size", 256)))
    source = SemanticSource.of(model, shape)
    grid = grid_shape(shape)
    conf, err_memovid, err_gray = [], [], []
    frames = zip(read_frames(gray, mode="gray"), read_frames(truth, mode="rgb"), read_frames(painted, mode="rgb"))
    for g, t, p in frames:
        if g.index % 4:
            continue
        L = luma_to_L(cv2.resize(g.image, shape[::-1], interpolation=cv2.INTER_AREA))
        match, _ = source.matches([L])
        truth_lab = grid_of(rgb8_to_film_lab(t.image), grid)
        painted_lab = grid_of(rgb8_to_film_lab(p.image), grid)
        gray_lab = truth_lab.copy()
        gray_lab[..., 1:] = 0
        as_t = lambda x: torch.from_numpy(x.reshape(-1, 3)).float()  # noqa: E731
        conf.append(confidence(match)[0].ravel())
        err_memovid.append(ciede2000(as_t(painted_lab), as_t(truth_lab)).numpy())
        err_gray.append(ciede2000(as_t(gray_lab), as_t(truth_lab)).numpy())
    conf, em, eg = (np.concatenate(x) for x in (conf, err_memovid, err_gray))
    edges = np.quantile(conf, np.linspace(0, 1, 11))
    of = np.clip(np.digitize(conf, edges[1:-1]), 0, 9)
    head = "| " + name + " decile of confidence | " + " | ".join(str(d + 1) for d in range(10)) + " | all |"
    line = "|---|" + "---|" * 11
    row = lambda label, e: "| " + label + " | " + " | ".join(f"{e[of == d].mean():.2f}" for d in range(10)) + f" | {e.mean():.2f} |"  # noqa: E731
    return "\n".join([head, line, row("memovid", em), row("gray", eg)])
