"""Shot-boundary benchmark on edits of real footage: memovid against PySceneDetect in the same run.

Edits are built from single-shot stretches of the clips in ../shared/data (their known cuts from
info.json are used as ground truth where an edit piece spans one), converted to gray, scaled to
1280x720, and joined by hard cuts, fades through black and dissolves inserted at known frames.
Two edit families are drawn with different seeds: memovid's defaults were set on generated clips
(tests/test_scenes.py), never on these edits; the second family stays held out should anyone tune.

Metrics: a cut is found when a detected cut lies within TOL frames; a gradual transition is found
when a detected transition (or any detected cut, to be fair to cut-only detectors) overlaps its span
widened by TOL. A detected cut inside a true gradual span is not a false cut. Speed: the whole path
from a decoded 720p gray frame to boundaries (resizing included), single thread.

Run: .venv/bin/python benchmarks/scenes.py [--edits N] [--data DIR]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from memovid.scenes import SceneConfig, SceneSplitter
from memovid.video.frame import Frame

TOL = 3
SIZE = (1280, 720)
# (clip folder, file, [(first, end)) single-shot stretches], known cuts inside the clip)
SOURCES = {
    "kivy": ("kivy_cityCC0", "cityCC0.mpg", [(0, 190)], [116]),
    "renpy": ("renpy_oa4_launch", "oa4_launch.webm", [(0, 194)], [74]),
    "tupi": ("tupi_example", "example.avi", [(0, 180)], []),
    "freecol": ("freecol_opening", "freecol-opening.video.ogg", [(1192, 1527), (1535, 1584)],
                [1188, 1531, 1588, 1600, 1662]),
    "wanna": ("wannaworktogether", "wannaworktogether.mp4", [(2510, 2700)], []),
}


def decode(path: Path, first: int, end: int) -> list[np.ndarray]:
    """Frames [first, end) as (H, W) uint8 gray at native size."""
    import av

    frames = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for index, frame in enumerate(container.decode(stream)):
            if index >= end:
                break
            if index >= first:
                frames.append(frame.to_ndarray(format="gray"))
    return frames


@dataclass
class Truth:
    cuts: list[int]
    gradual: list[tuple[int, int, str]]


def build_edit(rng: np.random.Generator, clips: dict, pieces: int = 10):
    """A list of per-frame recipes (functions -> 720p gray) and the ground truth."""
    recipe: list = []
    truth = Truth([], [])
    previous = None
    names = list(clips)
    for number in range(pieces):
        name = names[rng.integers(len(names))]
        stretches = clips[name]["stretches"]
        first, end = stretches[rng.integers(len(stretches))]
        length = int(rng.integers(40, 110))
        start = int(rng.integers(first, max(first + 1, end - length)))
        piece = list(range(start, min(end, start + length)))
        frames = clips[name]["frames"]
        offset = clips[name]["offset"]
        join = rng.choice(["cut", "fade", "dissolve"]) if number else "none"
        at = len(recipe)
        if join == "cut":
            truth.cuts.append(at)
        elif join == "fade":
            out_len, black, in_len = (int(rng.integers(8, 25)), int(rng.integers(0, 8)),
                                      int(rng.integers(8, 25)))
            last = previous
            for k in range(out_len):
                recipe.append(("scale", last, 1 - (k + 1) / (out_len + 1)))
            recipe += [("black",)] * black
            for k in range(in_len):
                recipe.append(("scale", (frames, piece[0] - offset), (k + 1) / (in_len + 1)))
            truth.gradual.append((at, len(recipe), "fade"))
        elif join == "dissolve":
            length_d = int(rng.integers(8, 31))
            # the outgoing shot keeps playing under the dissolve when it can (as in real films)
            for k in range(length_d):
                recipe.append(("mix", previous, (frames, piece[0] - offset), (k + 1) / (length_d + 1)))
            truth.gradual.append((at, len(recipe), "dissolve"))
        at = len(recipe)
        for source_index in piece:
            if source_index in clips[name]["cuts"] and source_index != piece[0]:
                truth.cuts.append(at + source_index - piece[0])
            recipe.append(("frame", (frames, source_index - offset)))
        previous = (frames, piece[-1] - offset)
    return recipe, truth


def render(step) -> np.ndarray:
    """(720, 1280) uint8 gray for one recipe step."""
    kind = step[0]
    if kind == "black":
        return np.full(SIZE[::-1], 8, np.uint8)
    def picture(ref):
        frames, index = ref
        return cv2.resize(frames[index], SIZE, interpolation=cv2.INTER_LINEAR)
    if kind == "frame":
        return picture(step[1])
    if kind == "scale":
        return (picture(step[1]).astype(np.float32) * step[2]).astype(np.uint8)
    a, b, weight = picture(step[1]), picture(step[2]), step[3]
    return cv2.addWeighted(a, 1 - weight, b, weight, 0)


class MemovidMethod:
    name = "memovid"

    def __init__(self):
        self.splitter = SceneSplitter(SceneConfig(), fps=25.0)

    def feed(self, index: int, gray: np.ndarray) -> None:
        self.splitter.feed(Frame(gray, index))

    def result(self, frames: int):
        table = self.splitter.finish()
        return ([t.start for t in table.transitions if t.kind == "cut"],
                [(t.start, t.end) for t in table.transitions if t.kind != "cut"])


class SceneDetectMethod:
    def __init__(self, name: str, detector):
        from scenedetect.scene_manager import compute_downscale_factor

        self.name, self.detector, self.cuts = name, detector, []
        factor = compute_downscale_factor(SIZE[0])  # what SceneManager does by default
        self.size = (int(SIZE[0] / factor), int(SIZE[1] / factor))

    def feed(self, index: int, gray: np.ndarray) -> None:
        from scenedetect import FrameTimecode

        small = cv2.resize(gray, self.size, interpolation=cv2.INTER_LINEAR)
        bgr = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
        self.cuts += [t.frame_num for t in self.detector.process_frame(FrameTimecode(index, 25.0), bgr)]
        self._last = index

    def result(self, frames: int):
        from scenedetect import FrameTimecode

        self.cuts += [t.frame_num for t in self.detector.post_process(FrameTimecode(self._last, 25.0))]
        return self.cuts, []


def methods():
    from scenedetect import AdaptiveDetector, ContentDetector

    # defaults, and luma_only=True: on gray frames the defaults divide a luma-only change by the
    # weight of hue and saturation too, which is unfair to them on black-and-white film
    return [MemovidMethod(), SceneDetectMethod("PySceneDetect ContentDetector", ContentDetector()),
            SceneDetectMethod("PySceneDetect AdaptiveDetector", AdaptiveDetector()),
            SceneDetectMethod("ContentDetector(luma_only)", ContentDetector(luma_only=True)),
            SceneDetectMethod("AdaptiveDetector(luma_only)", AdaptiveDetector(luma_only=True))]


def score(truth: Truth, cuts: list[int], gradual: list[tuple[int, int]], counts: dict) -> None:
    spans = [(s - TOL, e + TOL) for s, e, _ in truth.gradual]
    inside = lambda t: any(s <= t <= e for s, e in spans)
    matched = set()
    for cut in cuts:
        hit = next((c for c in truth.cuts if abs(c - cut) <= TOL and c not in matched), None)
        if hit is not None:
            matched.add(hit)
            counts["cut_tp"] += 1
        elif not inside(cut):
            counts["cut_fp"] += 1
    counts["cut_fn"] += len(truth.cuts) - len(matched)
    found = [any(s <= c <= e for c in cuts) or any(gs <= e and s <= ge for gs, ge in gradual)
             for s, e in spans]
    counts["grad_found"] += sum(found)
    counts["grad_total"] += len(spans)
    counts["grad_fp"] += sum(not any(gs <= e and s <= ge for s, e in spans) for gs, ge in gradual)


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=3, help="edits per family")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--verbose", action="store_true", help="print truth and memovid's output")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    clips = {}
    for name, (folder, file, stretches, cuts) in SOURCES.items():
        first, end = min(s for s, _ in stretches), max(e for _, e in stretches)
        clips[name] = {"frames": decode(args.data / folder / file, first, end), "offset": first,
                       "stretches": stretches, "cuts": set(cuts)}
    rows = []
    for family, seed in (("dev", 1), ("held-out", 2)):
        rng = np.random.default_rng(seed)
        totals: dict[str, dict] = {}
        for _ in range(args.edits):
            recipe, truth = build_edit(rng, clips)
            runners = methods()
            seconds = {m.name: 0.0 for m in runners}
            for index, step in enumerate(recipe):
                gray = render(step)
                for method in runners:
                    begin = time.perf_counter()
                    method.feed(index, gray)
                    seconds[method.name] += time.perf_counter() - begin
            for method in runners:
                begin = time.perf_counter()
                cuts, gradual = method.result(len(recipe))
                seconds[method.name] += time.perf_counter() - begin
                counts = totals.setdefault(method.name, dict.fromkeys(
                    ["cut_tp", "cut_fp", "cut_fn", "grad_found", "grad_total", "grad_fp",
                     "frames", "seconds"], 0))
                score(truth, cuts, gradual, counts)
                if args.verbose and method.name == "memovid":
                    print(family, "truth", truth.cuts, truth.gradual, "\n  found", cuts, gradual)
                counts["frames"] += len(recipe)
                counts["seconds"] += seconds[method.name]
        for name, c in totals.items():
            cut = f1(c["cut_tp"], c["cut_fp"], c["cut_fn"])
            grad = f1(c["grad_found"], c["grad_fp"], c["grad_total"] - c["grad_found"])
            rows.append((family, name, c, cut, grad))
    print(f"Edits: {args.edits} per family, 10 pieces each, 1280x720 gray, tolerance {TOL} frames.\n")
    print("| family | method | cuts (true) | cut P / R / F1 | gradual (true) | gradual P / R / F1 | frames/s |")
    print("|---|---|---|---|---|---|---|")
    for family, name, c, cut, grad in rows:
        print(f"| {family} | {name} | {c['cut_tp'] + c['cut_fn']} | {cut[0]:.2f} / {cut[1]:.2f} / "
              f"{cut[2]:.2f} | {c['grad_total']} | {grad[0]:.2f} / {grad[1]:.2f} / {grad[2]:.2f} | "
              f"{c['frames'] / c['seconds']:.0f} |")


if __name__ == "__main__":
    main()
