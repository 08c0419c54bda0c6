"""``memovid demo``: the whole main job on a cartoon memovid draws itself, in minutes on a laptop CPU.

1. draw a colour cartoon with known scenes (memovid.demo.synth) and its black-and-white version;
2. split the black-and-white film into scenes, as a restorer would first do;
3. take a few colour keyframes per shot (what a colourist would paint) and train a model on them;
4. colorize the black-and-white film, write a side-by-side (gray | memovid | original) and the
   evaluation figures against the original.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from memovid.paint.config import ColorizeConfig
from memovid.training.config import TrainConfig
from memovid.errors import OutputError
from memovid.progress import ProgressFn, no_progress

DEMO_STEPS = 150            # the keyframes carry the colour along the motion; a few CPU minutes
KEYFRAME_EVERY = 13         # frames between painted keyframes (a colourist's few per shot)


@dataclass(frozen=True)
class DemoResult:
    folder: Path
    files: dict
    figures: dict
    scenes: int


def run_demo(folder: str | Path, *, steps: int = DEMO_STEPS, device: str = "auto", overwrite: bool = False,
             spec=None, progress: ProgressFn = no_progress) -> DemoResult:
    """Run the demo into ``folder`` (created; refused when it holds a previous demo unless overwrite).

    spec: the memovid.demo.synth.CartoonSpec to draw (default: three scenes at 320x240).
    """
    import cv2

    from memovid.paint.colorize import colorize
    from memovid.report.metrics import evaluate
    from memovid.report import write_report
    from memovid.scenes import split_file
    from memovid.demo.synth import CartoonSpec, cartoon_frames
    from memovid.textout import write_text
    from memovid.training.train import train
    from memovid.video import read_frames, write_video
    from memovid.video.frame import Frame

    folder = Path(folder)
    files = {name: folder / name for name in ("original.mp4", "bw.mp4", "scenes.json", "keyframes", "demo.memo",
                                               "colour.mp4", "side_by_side.mp4", "eval.json", "report.html")}
    if any(p.exists() for p in files.values()) and not overwrite:
        raise OutputError(f"{folder} already holds a demo; use --overwrite or another -o folder")
    folder.mkdir(parents=True, exist_ok=True)
    spec = spec or CartoonSpec()
    fps = spec.fps
    options = dict(fps=fps, overwrite=True)

    # 1. The colour original and its black-and-white version (the original's luminance).
    write_video((Frame(f, i) for i, f in enumerate(cartoon_frames(spec))), files["original.mp4"], **options)
    write_video((Frame(np.repeat(f.image[..., None], 3, axis=2), f.index)
                 for f in read_frames(files["original.mp4"], mode="gray")), files["bw.mp4"], **options)

    # 2. Scenes of the black-and-white film.
    table = split_file(files["bw.mp4"], progress=progress)
    write_text(files["scenes.json"], table.to_json(), overwrite=True)

    # 3. Keyframes: every KEYFRAME_EVERY-th frame of each shot, in colour, named by frame number.
    keyframes = files["keyframes"]
    keyframes.mkdir(exist_ok=True)
    for old in keyframes.glob("frame_*.png"):
        old.unlink()
    wanted = {i for shot in table.shots for i in range(shot.start + 2, shot.end, KEYFRAME_EVERY)}
    for frame in read_frames(files["original.mp4"], mode="rgb"):
        if frame.index in wanted:
            cv2.imwrite(str(keyframes / f"frame_{frame.index:05d}.png"), cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR))
    train([keyframes], files["demo.memo"], config=TrainConfig(steps=steps, device=device), scenes=table,
          overwrite=True, progress=progress)

    # 4. Colorize, compare, and show.
    result = colorize(files["bw.mp4"], files["demo.memo"], files["colour.mp4"], config=ColorizeConfig(device=device),
                      scenes=table, overwrite=True, progress=progress)
    write_report(files["colour.mp4"], files["report.html"], input=files["bw.mp4"], reference=files["original.mp4"],
                 model=files["demo.memo"], analysis=result.analysis, overwrite=True,
                 config=ColorizeConfig(device=device), progress=progress)
    report = evaluate(files["colour.mp4"], files["original.mp4"], progress=progress)
    write_text(files["eval.json"], json.dumps(report.to_dict(), indent=2), overwrite=True)
    panels = zip(read_frames(files["bw.mp4"]), read_frames(files["colour.mp4"]), read_frames(files["original.mp4"]))
    write_video((Frame(np.concatenate([a.image, b.image, c.image], axis=1), a.index) for a, b, c in panels),
                files["side_by_side.mp4"], **options)
    figures = {k: v for k, v in report.to_dict().items() if not isinstance(v, (list, dict))}
    return DemoResult(folder, {k: str(v) for k, v in files.items()}, figures, len(table.scenes))
