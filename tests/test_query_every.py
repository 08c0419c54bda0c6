"""Pass 1 asks the memory about every ``query_every``-th frame, and at once about any changed picture.

The votes are counted over whole shots and scenes, so asking a quarter of the frames must elect the
same colour features, leave no shot unasked (its samples feed the palettes and suggest), and cost a
quarter of the queries (the backbone on every frame was most of pass 1's time).
"""

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from memovid.cli import cli
from memovid.demo.synth import CartoonSpec, cartoon_frames
from memovid.paint.analyse import QUERY_CHANGE, _Asked
from memovid.paint.config import ColorizeConfig
from tests.mediagen import keyframed_film


def test_every_fourth_frame_is_asked_and_a_changed_picture_at_once():
    rng = np.random.default_rng(0)
    # two unrelated pictures with structure at the thumbnail's scale (noise alone averages out there)
    a, b = (cv2.resize(rng.uniform(0, 100, (9, 16)).astype(np.float32), (128, 72)) for _ in range(2))
    asked = _Asked(4)
    pictures = [a + rng.normal(0, 1, a.shape).astype(np.float32) for _ in range(10)] + [b] * 7
    got = [i for i, L in enumerate(pictures) if asked(i, L)]
    assert got == [0, 4, 8, 10, 14]  # 10 is the cut, two frames after 8


def test_a_slow_drift_is_asked_again_once_it_adds_up():
    ramp = np.tile(np.linspace(0, 100, 128, dtype=np.float32), (72, 1))
    asked = _Asked(1000)
    # the picture brightens by a third of the threshold a frame: the third frame has changed enough
    got = [i for i in range(7) if asked(i, ramp + i * QUERY_CHANGE / 3 + 0.01)]
    assert got == [0, 3, 6]


def test_one_asks_about_every_frame():
    asked = _Asked(1)
    L = np.zeros((8, 8), np.float32)
    assert all(asked(i, L) for i in range(5))


@pytest.mark.parametrize("every", [0, 2.5, "4"])
def test_query_every_must_be_a_whole_number_of_frames(every):
    with pytest.raises(ValueError, match="query_every"):
        ColorizeConfig(query_every=every)


def test_a_quarter_of_the_queries_elect_the_same_features(tmp_path, monkeypatch):
    from memovid.model.bundle import MemoModel
    from memovid.paint.analyse import analyse
    from memovid.paint.film import open_film

    spec = CartoonSpec(width=192, height=128, scenes=3, shot_frames=(24, 12, 30), seed=5)
    frames = list(cartoon_frames(spec))
    _, keys, gray = keyframed_film(tmp_path, (spec.width, spec.height), range(3, len(frames), 11), frames=frames)
    model = tmp_path / "m.memo"
    result = CliRunner().invoke(cli, ["--quiet", "train", str(keys), "-m", str(model), "--steps", "2", "--size", "192"])
    assert result.exit_code == 0, result.output

    asked = []
    query = MemoModel.query
    monkeypatch.setattr(MemoModel, "query", lambda self, L: asked.append(len(L)) or query(self, L))
    every = {}
    for n in (1, 4):
        asked.clear()
        every[n] = analyse(open_film(gray, model, ColorizeConfig(query_every=n))), sum(asked)
    (all_frames, queried_all), (quarter, queried_quarter) = every[1], every[4]
    assert queried_all == len(frames)
    assert queried_quarter < len(frames) / 2  # a quarter, and the changed pictures of its moving cartoon
    assert [c and c.slot for c in quarter.choices] == [c and c.slot for c in all_frames.choices]
    # The shots that got samples (they feed the palettes and suggest): as many, give or take one. A
    # sampler runs from one detected cut to the next, which the splitter reports up to its latency
    # later, so which short shot keeps a sample depends on how its stride fell (either way).
    shots_sampled = [{r.table.shot_of(i) for i, _ in r.samples} for r in (all_frames, quarter)]
    assert len(shots_sampled[1]) >= len(shots_sampled[0]) - 1 >= len(quarter.table.shots) - 3
    assert len(quarter.frame_confidence) == len(frames)
