"""The confidence yardstick: 0.5 halfway between a learned scene's own likeness and other scenes'."""

import numpy as np

from memovid.model.confidence import Calibration, yardstick


def _cluster(centre: np.ndarray, n: int, spread: float, rng) -> np.ndarray:
    q = centre + spread * rng.normal(size=(n, centre.size))
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def test_half_confidence_sits_between_same_scene_and_other_scene_likeness():
    rng = np.random.default_rng(0)
    centres = np.eye(3, 64)  # three scenes in unrelated directions
    queries = np.concatenate([_cluster(c, 6, 0.1, rng) for c in centres])
    scenes = np.repeat([0, 1, 2], 6)
    scale = yardstick(queries, scenes, queries)
    sims = queries @ queries.T
    np.fill_diagonal(sims, -np.inf)
    same = np.array([sims[i][scenes == scenes[i]].max() for i in range(18)])
    other = np.array([sims[i][scenes != scenes[i]].max() for i in range(18)])
    assert abs((1 - scale) - (np.median(same) + np.median(other)) / 2) < 1e-9
    confidence = Calibration(scale)
    # a frame like a learned scene's is above the floor, one like none of them is below it
    assert confidence(np.median(same)) > 0.6 and confidence(np.median(other)) < 0.4
    unseen = _cluster(np.eye(1, 64, 5)[0], 4, 0.1, rng)
    assert np.all(confidence((unseen @ queries.T).max(1)) < 0.5)


def test_one_scene_falls_back_to_its_own_variety():
    rng = np.random.default_rng(1)
    queries = _cluster(np.eye(1, 8)[0], 5, 0.2, rng)
    scale = yardstick(queries, [0] * 5, queries[:2])
    assert scale is not None and 0 < scale < 1
    assert yardstick(queries[:1], [0], queries[:1]) is None  # no scene with two frames
