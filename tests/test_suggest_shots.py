"""suggest asks for the shots the keyframes do not reach, even inside a scene that has keyframes.

A conversation scene cut A, B, A, B (shot / reverse shot: one scene) whose model learned five painted
frames of the first A shot only. The patch memory matches A's framings and not B's, so the scene
needs a keyframe, the B shots are the unmatched ones, and suggest picks its frame there (issue 34's
trailer case: a model knowing one shot of four used to say that no scene needed a keyframe).
"""

from click.testing import CliRunner

from memovid.cli import cli
from memovid.demo.synth import CartoonSpec, cartoon_frames
from tests.mediagen import keyframed_film

SPEC = CartoonSpec(width=192, height=128, scenes=1, shot_frames=(24, 24, 24, 24), seed=3)


def test_the_unreached_shots_of_a_keyframed_scene_are_flagged_and_suggested(tmp_path):
    from memovid.paint.analyse import analyse
    from memovid.paint.film import open_film

    frames = list(cartoon_frames(SPEC))
    _, keys, gray = keyframed_film(tmp_path, (SPEC.width, SPEC.height), (2, 6, 10, 14, 18),  # the first A shot only
                                   frames=frames)
    model = tmp_path / "m.memo"
    result = CliRunner().invoke(cli, ["--quiet", "train", str(keys), "-m", str(model), "--steps", "2", "--size", "192"])
    assert result.exit_code == 0, result.output

    analysis = analyse(open_film(gray, model))
    table = analysis.table
    assert [(s.start, s.end) for s in table.shots] == [(0, 24), (24, 48), (48, 72), (72, 96)]
    flagged = [shot for r in analysis.reports for shot in r.unmatched_shots]
    assert 1 in flagged and 3 in flagged and 0 not in flagged, [r for r in analysis.reports]
    assert any(r.needs_keyframe and r.keyframes > 0 for r in analysis.reports)

    folder = tmp_path / "to_paint"
    result = CliRunner().invoke(cli, ["suggest", str(gray), "-m", str(model), "-o", str(folder)])
    assert result.exit_code == 0, result.output
    picked = [int(p.stem.split("_")[1]) for p in folder.glob("frame_*.png")]
    assert picked and all(table.shot_of(f) in (1, 3) for f in picked), picked
