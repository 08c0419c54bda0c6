"""The restorer's loop: colorize -> look (report) -> paint the suggested frames -> update -> colorize.

A film of two scenes: the model learned scene A from five painted frames and never saw scene B.
Retrieval confidence must say so, suggest must ask for a frame of B, and painting it must raise B's
confidence. The report gathers per-scene thumbnails, palettes and metrics (its page is tested in a
browser by test_report_html.py).
"""

import itertools
import json
import shutil

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from memovid.cli import cli
from memovid.model.confidence import CONFIDENCE_FLOOR
from memovid.demo.synth import CartoonSpec, cartoon_frames
from memovid.video import EncodeOptions, read_frames, write_video
from tests.mediagen import keyframed_film, moving_shapes

SIZE = (96, 64)


def _scene_confidences(gray, model) -> list[float]:
    from memovid.paint.analyse import analyse
    from memovid.paint.film import open_film

    return [r.confidence for r in analyse(open_film(gray, model)).reports]


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("loop")
    a = list(moving_shapes(20, size=SIZE, seed=0))
    spec = CartoonSpec(width=SIZE[0], height=SIZE[1], scenes=1, shot_frames=(20,))
    b = [255 - f for f in itertools.islice(cartoon_frames(spec), 20)]  # a dark night scene, unlike A
    colour, keys, gray = keyframed_film(tmp, SIZE, (0, 4, 8, 12, 16), frames=a + b)  # keyframes of A only
    model = tmp / "m.memo"
    result = CliRunner().invoke(cli, ["--quiet", "train", str(keys), "-m", str(model), "--steps", "3", "--size", "96"])
    assert result.exit_code == 0, result.output
    return tmp, colour, gray, model


def test_confidence_is_high_for_the_learned_scene_and_low_for_the_unseen_one(film):
    _, _, gray, model = film
    a, b = _scene_confidences(gray, model)
    assert a > 0.6 and b < CONFIDENCE_FLOOR, (a, b)


def test_suggest_asks_for_the_unseen_scene_and_never_overwrites(film):
    tmp, _, gray, model = film
    folder = tmp / "to_paint"
    result = CliRunner().invoke(cli, ["suggest", str(gray), "-m", str(model), "-o", str(folder)])
    assert result.exit_code == 0, result.output
    pngs = sorted(folder.glob("frame_*.png"))
    assert len(pngs) == 1
    frame = int(pngs[0].stem.split("_")[1])
    assert 20 <= frame < 40  # scene B, and only B: A has its own keyframes
    listed = json.loads((folder / "suggestions.json").read_text())
    assert [(s["frame"], s["scene"], s["path"]) for s in listed] == [(frame, 1, pngs[0].name)]
    assert cv2.imread(str(pngs[0])).shape == (SIZE[1], SIZE[0], 3)  # full size, for painting
    # The colourist may already be painting there: a second run refuses, one line, exit 2, file untouched.
    before = pngs[0].read_bytes()
    again = CliRunner().invoke(cli, ["suggest", str(gray), "-m", str(model), "-o", str(folder)])
    assert again.exit_code == 2 and "already holds images" in again.output
    assert pngs[0].read_bytes() == before
    # --count takes the N least confident scenes whether flagged or not, --per-scene N frames each.
    many = CliRunner().invoke(cli, ["suggest", str(gray), "-m", str(model), "-o", str(tmp / "more"),
                                    "--count", "2", "--per-scene", "2"])
    assert many.exit_code == 0, many.output
    frames = sorted(int(p.stem.split("_")[1]) for p in (tmp / "more").glob("frame_*.png"))
    assert len(frames) == 4 and sum(f < 20 for f in frames) == 2


def test_painting_the_suggested_frame_raises_the_scenes_confidence(film, tmp_path):
    tmp, colour, gray, model = film
    folder = tmp_path / "painted"
    assert CliRunner().invoke(cli, ["suggest", str(gray), "-m", str(model), "-o", str(folder)]).exit_code == 0
    [png] = folder.glob("frame_*.png")
    frame = int(png.stem.split("_")[1])
    painted = next(f.image for f in read_frames(colour) if f.index == frame)  # the colourist's work
    cv2.imwrite(str(png), cv2.cvtColor(painted, cv2.COLOR_RGB2BGR))
    updated = tmp_path / "updated.memo"
    shutil.copy(model, updated)
    result = CliRunner().invoke(cli, ["--quiet", "train", "--update", str(folder), "-m", str(updated), "--steps", "1"])
    assert result.exit_code == 0, result.output
    before, after = _scene_confidences(gray, model)[1], _scene_confidences(gray, updated)[1]
    assert after > CONFIDENCE_FLOOR > before


def test_report_gathers_scenes_thumbnails_palettes_and_metrics(film):
    from memovid.report.gather import gather

    tmp, colour, gray, model = film
    out = tmp / "out.mkv"
    html = tmp / "report.html"
    result = CliRunner().invoke(cli, ["--quiet", "colorize", str(gray), "-m", str(model), "-o", str(out),
                                      "--codec", "ffv1", "--report", str(html)])
    assert result.exit_code == 0, result.output
    page = html.read_text()
    assert page.count('<section class="scene') == 2
    data = gather(out, tmp / "again.html", input=gray, reference=colour, model=model)
    assert [(s.start, s.end) for s in data.scenes] == [(0, 20), (20, 40)]
    assert [s.needs_keyframe for s in data.scenes] == [False, True]
    for s in data.scenes:
        assert list(s.thumbnails) == ["input", "memovid", "reference"]
        for path in s.thumbnails.values():
            assert cv2.imread(str(tmp / path)) is not None
        assert s.palette and abs(sum(w for _, w in s.palette) - 1) < 1e-6
        assert len(s.flicker) == 20 and s.flicker[0] == 0.0 and s.frame_confidence is not None
        assert s.metrics["CIEDE2000"] > 0 and s.metrics["PSNR"] > 10
    assert data.overall["CIEDE2000"] == pytest.approx(np.mean([s.metrics["CIEDE2000"] for s in data.scenes]), rel=1e-6)
    # A report may not overwrite an earlier one unless asked.
    again = CliRunner().invoke(cli, ["report", str(out), "-o", str(html)])
    assert again.exit_code == 2 and "exists" in again.output


def test_report_on_a_shorter_reference_covers_the_whole_film_and_says_so(film, tmp_path):
    """A reference cut short must not cut the report short: every frame of the coloured film is
    measured, metrics where the reference has frames, and the mismatch is said with the counts."""
    tmp, colour, gray, model = film
    short = tmp_path / "short.mkv"
    write_video((f for f in read_frames(colour) if f.index < 25), short, source=colour,
                options=EncodeOptions(codec="ffv1"))
    out = tmp_path / "out.mkv"
    assert CliRunner().invoke(cli, ["--quiet", "colorize", str(gray), "-m", str(model), "-o", str(out),
                                    "--codec", "ffv1"]).exit_code == 0
    result = CliRunner().invoke(cli, ["report", str(out), "-o", str(tmp_path / "r.html"), "--reference", str(short),
                                      "-m", str(model), "--input", str(gray)])
    assert result.exit_code == 0, result.output
    said = "".join(result.output.split())  # the log wraps long lines, even inside a path
    assert "short.mkvhas25frames" in said and "comparesthefirst25" in said
    from memovid.report.gather import gather

    data = gather(out, tmp_path / "again.html", reference=short, model=model, input=gray)
    assert [len(s.flicker) for s in data.scenes] == [20, 20]
    assert "reference" in data.scenes[0].thumbnails and "reference" not in data.scenes[1].thumbnails
