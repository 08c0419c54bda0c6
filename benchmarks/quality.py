"""Colorization quality and speed of the main job on real footage, against baselines in the same run.

For each clip (animation and live action from ../shared/data, see DATA.md): the colour original is the
truth; its black-and-white version (the original's luminance) is what gets coloured. Two keyframe
settings: a keyframe every 13 frames of each shot, and keyframes only from the first half of the film.
Every method gets the same keyframes:

  gray             a = b = 0
  global mean ab   the keyframes' mean ab everywhere
  nearest copy     the nearest keyframe's ab, pixel for pixel
  no-memory        memovid's pipeline with the memory removed (the paper's Res-cGAN ablation)
  memovid          the full pipeline (memory + per-scene voting + same-shot motion guidance + smoothing),
                   keyframes moved at full size (colorize reads the paintings where train found them)
  memovid, working-size keyframes  the same model with the painting folder moved away: the keyframes
                   the model stores (working size) are all colorize has
  memovid, memory only     the same model with --no-guidance: the memory's colour feature alone
  memovid, smoothing off   the same model with --temporal off (issue 6: what smoothing buys and costs)
  memovid, bilinear        the same model with --upsample bilinear instead of the guided filter
  memovid, trust = flow    the same model with --trust flow: moved keyframe colour kept over the
                   generator's guess by the flow's reliability, not the share fitted on the keyframes
  memovid, no palette      the same model with --no-palette: shots without keyframes get the generator's
                   colour alone, not part of the luminance palette of the keyframes most like them

Where a setting leaves shots without any keyframe (kivy's second shot in "first half"), the same
outputs are judged again on those frames alone, beside one more baseline: the luminance palette of the
3 keyframes that look most like each frame ("palette alone"). There the memory, the palettes and the
generator work without moved keyframe colour ("memovid, no palette" is then the generator alone).

Figures come from memovid.report.metrics (the same code as ``memovid eval``). Speed: colorize frames/s at 720p
next to a plain decode+encode of the same clip in this process.

    python benchmarks/quality.py [--steps N] [--clips tupi_example,renpy_oa4_launch]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

import memovid.log  # noqa: F401
from memovid.color.lab import luma_to_L, rgb8_to_lab
from memovid.color.levels import L_to_L8
from memovid.color.ycbcr import i420_of, luma_colour_rgb8
from memovid.paint.colorize import colorize
from memovid.paint.config import ColorizeConfig
from memovid.training.config import TrainConfig
from memovid.report.metrics import evaluate
from memovid.scenes import split_file
from memovid.temporal import TemporalConfig
from memovid.training.train import train
from memovid.video import open_writer, read_frames, transcode, write_video
from memovid.video.frame import Frame

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLIPS = {"tupi_example": "example.avi", "renpy_oa4_launch": "oa4_launch.webm", "kivy_cityCC0": "cityCC0.mpg",
         "wannaworktogether": "wannaworktogether.mp4", "freecol_opening": "freecol-opening.video.ogg"}
KEY_EVERY = 13
SEED = [TrainConfig.seed]  # set from --seed in main


def gray_version(source: Path, out: Path) -> None:
    write_video((Frame(np.repeat(f.image[..., None], 3, 2), f.index, f.pts, f.time_base)
                 for f in read_frames(source, mode="gray")), out, source=source, overwrite=True)


def even_sized(source: Path, out: Path) -> Path:
    """The clip itself, or, when a side is odd (kivy is 720x405), a lossless copy cropped to even
    sides: H.264 4:2:0 output can only be even-sized, and eval compares frames of one size."""
    from memovid.video import EncodeOptions, probe

    info = probe(source)
    if info.width % 2 == 0 and info.height % 2 == 0:
        return source
    h, w = info.height // 2 * 2, info.width // 2 * 2
    write_video((f.with_image(np.ascontiguousarray(f.image[:h, :w])) for f in read_frames(source, mode="rgb")), out,
                source=source, options=EncodeOptions(codec="ffv1"), overwrite=True)
    return out


def keyframe_indices(table, first_half_only: bool) -> list[int]:
    picks = [i for shot in table.shots for i in range(shot.start, shot.end, KEY_EVERY)]
    return [i for i in picks if i < table.frames // 2] if first_half_only else picks


def write_keyframes(source: Path, indices: list[int], folder: Path) -> dict[int, np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    wanted, lab = set(indices), {}
    for f in read_frames(source, mode="rgb"):
        if f.index in wanted:
            cv2.imwrite(str(folder / f"frame_{f.index:05d}.png"), cv2.cvtColor(f.image, cv2.COLOR_RGB2BGR))
            lab[f.index] = rgb8_to_lab(f.image)
    return lab


def write_colour(gray: Path, out: Path, paint) -> None:
    """Write gray's own luma with paint(index, L) -> (H, W, 2) ab, or a constant (2,), as colour, the
    way colorize writes a black-and-white film (memovid.color.ycbcr): a baseline and memovid lose the
    same to the output's form."""
    with open_writer(out, source=gray, overwrite=True) as writer:
        for f in read_frames(gray, mode="gray"):
            L = luma_to_L(f.image)
            ab = np.ascontiguousarray(np.broadcast_to(np.asarray(paint(f.index, L), np.float32), (*L.shape, 2)))
            weights = writer.yuv420_weights(f)
            if weights is None:
                writer.write(f.with_image(luma_colour_rgb8(f.image, L, ab, writer.rgb_luma_weights(f))))
            else:
                writer.write_yuv420(f, i420_of(f.image, ab, weights))


def baseline_video(gray: Path, out: Path, ab_for) -> None:
    """Write gray's luminance with ab_for(index) (H, W, 2) or a constant (2,) as colour."""
    write_colour(gray, out, lambda index, L: ab_for(index))


def run_clip(name: str, steps: int, work: Path, settings: list[str]) -> list[dict]:
    source = even_sized(DATA / name / CLIPS[name], work / f"{name}_truth.mkv")
    gray = work / f"{name}_bw.mkv"
    gray_version(source, gray)
    table = split_file(gray)
    rows = []
    chosen = [(label, half) for label, half in (("every 13", False), ("first half", True))
              if label.replace(" ", "") in settings]
    for setting, first_half in chosen:
        keys = keyframe_indices(table, first_half)
        folder = work / f"{name}_{'half' if first_half else 'all'}_keys"
        lab = write_keyframes(source, keys, folder)
        order = np.array(sorted(lab))
        mean_ab = np.mean([v[..., 1:].reshape(-1, 2).mean(0) for v in lab.values()], axis=0)
        nearest = lambda i: lab[int(order[np.argmin(np.abs(order - i))])][..., 1:]  # noqa: E731
        methods = {
            "gray": lambda i: 0.0,
            "global mean ab": lambda i: mean_ab,
            "nearest copy": nearest,
        }
        outputs = {}
        for method, ab_for in methods.items():
            out = outputs[method] = work / f"{name}_{method.replace(' ', '_')}.mkv"
            baseline_video(gray, out, ab_for)
            rows.append(_row(name, setting, method, evaluate(out, source), None))
        for method, use_memory in (("no-memory", False), ("memovid", True)):
            from memovid.model.config import ModelConfig

            model = work / f"{name}_{setting.replace(' ', '')}_{use_memory}.memo"
            started = time.perf_counter()
            train([folder], model, config=TrainConfig(steps=steps, seed=SEED[0]), scenes=table, overwrite=True,
                  model_config=ModelConfig(use_memory=use_memory))
            trained = time.perf_counter() - started
            out = outputs[method] = work / f"{name}_{method}.mkv"
            result = colorize(gray, model, out, scenes=table, overwrite=True)
            rows.append(_row(name, setting, method, evaluate(out, source), (trained, result.fps)))
        # The same model down its other paths: memory only (no same-shot keyframe guidance), and issue
        # 6's question: what does the temporal smoothing buy, and at what cost?
        for method, kwargs in (("memovid, memory only (no guidance)", {"config": ColorizeConfig(guidance=False)}),
                               ("memovid, smoothing off", {"temporal": TemporalConfig(mode="off")}),
                               ("memovid, bilinear upsampling", {"config": ColorizeConfig(upsample="bilinear")}),
                               ("memovid, trust = flow reliability", {"config": ColorizeConfig(trust="flow")}),
                               ("memovid, no palette", {"config": ColorizeConfig(palette=False)})):
            out = outputs[method] = work / f"{name}_{method.split(',')[1].strip().split()[0]}.mkv"
            result = colorize(gray, model, out, scenes=table, overwrite=True, **kwargs)
            rows.append(_row(name, setting, method, evaluate(out, source), (trained, result.fps)))
        out = work / f"{name}_small_keys.mkv"
        with _moved_away(folder):
            result = colorize(gray, model, out, scenes=table, overwrite=True)
        rows.append(_row(name, setting, "memovid, working-size keyframes", evaluate(out, source), (trained, result.fps)))
        print(_markdown(rows[-11:]), flush=True)
        bare = [i for shot in table.shots if not any(shot.start <= k < shot.end for k in keys)
                for i in range(shot.start, shot.end)]
        if bare:
            rows += keyframeless_rows(name, setting, bare, source, gray, lab, outputs, work)
    return rows


def keyframeless_rows(name: str, setting: str, bare: list[int], source: Path, gray: Path, lab: dict,
                      outputs: dict, work: Path) -> list[dict]:
    """The same outputs judged on the frames of shots no keyframe reaches (issue 15: where the memory
    and the palette have to work alone), with the palette of the 3 look-alike keyframes as one more
    baseline (the one of the other-clips protocol)."""
    from memovid.paint.palette import Palette
    from memovid.report.metrics import evaluate_arrays

    keys = [(_thumb(v[..., 0]), L_to_L8(v[..., 0]), v[..., 1:]) for v in lab.values()]
    thumbs = np.stack([t for t, _, _ in keys])

    def palette(i: int, L: np.ndarray) -> np.ndarray:
        near = np.argsort(-(thumbs @ _thumb(L)))[:3]
        return Palette.of([keys[k][1:] for k in near])(L)

    out = outputs["palette alone (3 look-alike keyframes)"] = work / f"{name}_palette.mkv"

    write_colour(gray, out, palette)
    wanted = set(bare)

    def only(path: Path):
        return (f.image for f in read_frames(path, mode="rgb") if f.index in wanted)
    label = f"{setting}: shots without keyframes ({len(bare)} frames, {min(bare)}-{max(bare)})"
    rows = [_row(name, label, method, evaluate_arrays(only(path), only(source)), None) for method, path in outputs.items()]
    print(_markdown(rows), flush=True)
    return rows


# Keyframes from OTHER clips of the same film (issue 15): the film cut into UNSEEN_CLIPS equal
# stretches spread over its length; the even ones give the keyframes, the odd ones are never seen
# by the model and are coloured from their luminance alone.
UNSEEN_CLIPS = 8
UNSEEN_FRAMES = 120


def _thumb(L: np.ndarray) -> np.ndarray:
    """A 32 x 32 mean-removed, unit-norm thumbnail of a luminance picture (the look-alike baselines)."""
    t = cv2.resize(L.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA).ravel()
    t = t - t.mean()
    return t / max(float(np.linalg.norm(t)), 1e-6)


def _cut(source: Path, start: int, frames: int, truth: Path, gray: Path) -> None:
    """Frames [start, start + frames) of source: the colour truth (FFV1) and its black-and-white version."""
    from memovid.video import EncodeOptions

    def clip(mode):
        for f in read_frames(source, mode="rgb"):
            if f.index >= start + frames:
                break
            if f.index >= start:
                image = f.image if mode == "rgb" else np.repeat(cv2.cvtColor(f.image, cv2.COLOR_RGB2GRAY)[..., None], 3, 2)
                yield Frame(image, f.index - start)
    write_video(clip("rgb"), truth, fps=probe_fps(source), options=EncodeOptions(codec="ffv1"), overwrite=True)
    write_video(clip("gray"), gray, fps=probe_fps(source), overwrite=True)


def probe_fps(source: Path) -> float:
    from memovid.video import probe

    return probe(source).fps


def prepare_unseen(name: str, steps: int, work: Path):
    """Cut the film into UNSEEN_CLIPS stretches, train on keyframes of the even ones; returns
    (keys [(thumbnail, L8, ab)] of every keyframe, [(truth, gray)] of the odd clips, model path, training s)."""
    from memovid.video import probe

    source = even_sized(DATA / name / CLIPS[name], work / f"{name}_truth.mkv")
    total = probe(source).frames
    starts = np.linspace(0, total - UNSEEN_FRAMES, UNSEEN_CLIPS).astype(int)
    folder = work / f"{name}_other_clip_keys"
    folder.mkdir(exist_ok=True)
    keys: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (thumbnail, L8, ab) of every keyframe
    clips = []
    for k, start in enumerate(starts):
        truth, gray = work / f"{name}_u{k}_truth.mkv", work / f"{name}_u{k}_bw.mkv"
        _cut(source, int(start), UNSEEN_FRAMES, truth, gray)
        if k % 2:
            clips.append((truth, gray))
            continue
        table = split_file(gray)
        for i, lab in write_keyframes(truth, keyframe_indices(table, False), folder / f"clip{k}").items():
            keys.append((_thumb(lab[..., 0]), L_to_L8(lab[..., 0]), lab[..., 1:]))
    flat = folder / "all"
    flat.mkdir()
    # a keyframe's number says which frame of the film it paints: these paint none of the clips coloured
    for n, png in enumerate(sorted(folder.glob("clip*/*.png"))):
        png.rename(flat / f"key_{100000 + n}.png")
    model = work / f"{name}_unseen.memo"
    started = time.perf_counter()
    train([flat], model, config=TrainConfig(steps=steps, seed=SEED[0]), overwrite=True)
    return keys, clips, model, time.perf_counter() - started


def run_unseen(name: str, steps: int, work: Path) -> list[dict]:
    """Train on keyframes of the even clips, colorize the odd ones; memovid against gray, the
    keyframes' luminance palette alone and copying the look-alike keyframe, on the same frames."""
    from memovid.paint.palette import Palette

    keys, clips, model, trained = prepare_unseen(name, steps, work)
    thumbs = np.stack([t for t, _, _ in keys])

    def look_alike(L: np.ndarray, n: int) -> list[int]:
        return [int(i) for i in np.argsort(-(thumbs @ _thumb(L)))[:n]]

    methods = {
        "gray": lambda L: np.zeros((*L.shape, 2), np.float32),
        "palette alone (3 look-alike keyframes)": lambda L: Palette.of([keys[i][1:] for i in look_alike(L, 3)])(L),
        "copy the look-alike keyframe": lambda L: cv2.resize(keys[look_alike(L, 1)[0]][2], L.shape[::-1], interpolation=cv2.INTER_LINEAR),
    }
    reports: dict[str, list] = {m: [] for m in [*methods, "memovid"]}
    fps = []
    for k, (truth, gray) in enumerate(clips):
        for method, paint in methods.items():
            out = work / f"{name}_u{k}_{method.split()[0]}.mkv"
            write_colour(gray, out, lambda index, L, paint=paint: paint(L))
            reports[method].append(evaluate(out, truth).to_dict())
        out = work / f"{name}_u{k}_memovid.mkv"
        result = colorize(gray, model, out, overwrite=True)
        fps.append(result.fps)
        reports["memovid"].append(evaluate(out, truth).to_dict())
    rows = []
    for method, got in reports.items():
        mean = lambda key: float(np.mean([r[key] for r in got]))  # noqa: E731  (clips are the same length)
        timing = (trained, float(np.mean(fps))) if method == "memovid" else None
        averaged = {key: mean(key) for key in ("ciede2000", "psnr", "ssim", "flicker")}
        rows.append(_row(name, f"other clips ({len(keys)} keyframes)", method, averaged, timing))
    print(_markdown(rows), flush=True)
    return rows


@contextmanager
def _moved_away(folder: Path):
    """The keyframe paintings out of reach while the block runs (put back after, whatever happens)."""
    away = folder.with_name(folder.name + "_away")
    folder.rename(away)
    try:
        yield
    finally:
        away.rename(folder)


def _row(clip, setting, method, report, timing) -> dict:
    d = report if isinstance(report, dict) else report.to_dict()
    return {"clip": clip, "keyframes": setting, "method": method, "CIEDE2000": d["ciede2000"], "PSNR": d["psnr"],
            "SSIM": d["ssim"], "flicker": d["flicker"],
            "train s": f"{timing[0]:.0f}" if timing else "-", "colorize fps": f"{timing[1]:.1f}" if timing else "-"}


def _markdown(rows: list[dict]) -> str:
    cols = list(rows[0])
    fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    return "\n".join(["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
                     + ["| " + " | ".join(fmt(r[c]) for c in cols) + " |" for r in rows])


def speed_720p(work: Path, model: Path) -> str:
    """colorize frames/s at 1280x720 next to plain decode+encode of the same clip."""
    from memovid.demo.synth import CartoonSpec, cartoon_frames

    clip = work / "speed_720p.mp4"
    spec = CartoonSpec(width=1280, height=720, scenes=1, shot_frames=(40, 30, 30))
    write_video((Frame(np.repeat(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)[..., None], 3, 2), i)
                 for i, f in enumerate(cartoon_frames(spec))), clip, fps=24, overwrite=True)
    t0 = time.perf_counter()
    plain = transcode(clip, work / "speed_plain.mp4", overwrite=True)
    t_plain = time.perf_counter() - t0
    rows = []
    for temporal in ("flow", "ema", "off"):
        t0 = time.perf_counter()
        result = colorize(clip, model, work / f"speed_{temporal}.mp4", temporal=TemporalConfig(mode=temporal),
                          config=ColorizeConfig(), overwrite=True)
        rows.append({"path": f"colorize, temporal {temporal}", "frames/s": result.frames / (time.perf_counter() - t0)})
    rows.insert(0, {"path": "decode+encode (transcode)", "frames/s": plain.frames / t_plain})
    base = rows[0]["frames/s"]
    for r in rows:
        r["ratio"] = r["frames/s"] / base
    return _markdown(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--seed", type=int, default=TrainConfig.seed, help="training seed (figures move with it)")
    parser.add_argument("--clips", default="tupi_example,renpy_oa4_launch")
    parser.add_argument("--settings", default="every13,firsthalf", help="keyframe settings to run")
    parser.add_argument("--new-clips", default="", help="films for the new-clips protocol (benchmarks/new_clips.py), "
                        "e.g. freecol_opening,wannaworktogether,megamind; runs alone")
    parser.add_argument("--unseen", default="", help="clips for the other-clips protocol, e.g. wannaworktogether "
                        "(keyframes from some stretches of the film, the others colorized; runs alone)")
    args = parser.parse_args()
    SEED[0] = args.seed
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.new_clips:
            import new_clips

            rows = [row for name in args.new_clips.split(",")
                    for row in new_clips.run_new_clips(name, args.steps, work, sys.modules[__name__])]
            print("\n## New clips of the same characters\n")
            print(_markdown(rows))
            return
        if args.unseen:
            rows = [row for name in args.unseen.split(",") for row in run_unseen(name, args.steps, work)]
            print("\n## Keyframes from other clips\n")
            print(_markdown(rows))
            return
        rows = []
        for name in args.clips.split(","):
            rows += run_clip(name, args.steps, work, args.settings.split(","))
        print("\n## Quality\n")
        print(_markdown(rows))
        model = next(work.glob("*_True.memo"))
        print("\n## Speed at 720p (this CPU)\n")
        print(speed_720p(work, model))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
