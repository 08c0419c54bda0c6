"""Per-scene voting over memory look-ups."""

import numpy as np

from memovid.paint.retrieval import Ballot, choose


def test_scene_support_beats_a_single_strong_outlier():
    # Memory: slots 0-2 tagged scene 7, slot 3 tagged scene 9.
    slot_scenes = np.array([7, 7, 7, 9])
    ballot = Ballot()
    for _ in range(9):  # most frames: scene 7's slots, slot 1 first
        ballot.add(np.array([1, 0, 2, 3]), np.array([0.90, 0.88, 0.85, 0.5]))
    ballot.add(np.array([3, 1]), np.array([0.99, 0.6]))  # one frame jumps to scene 9
    choice = choose(ballot, slot_scenes)
    assert choice.slot == 1 and choice.memory_scene == 7
    assert choice.support > 0.85
    assert abs(choice.confidence - (9 * 0.90 + 0.99) / 10) < 1e-9


def test_empty_slots_are_ignored_and_empty_ballot_gives_none():
    ballot = Ballot()
    ballot.add(np.array([-1, -1]), np.array([0.0, 0.0]))
    assert choose(ballot, np.array([0])) is None and ballot.frames == 1 and ballot.confidence == 0.0


def test_merge_adds_votes_and_frames():
    a, b = Ballot(), Ballot()
    a.add(np.array([0]), np.array([0.5]))
    b.add(np.array([1]), np.array([0.7]))
    b.add(np.array([1]), np.array([0.7]))
    merged = a.merge(b)
    assert merged.frames == 3 and merged.weights == {0: 1.0, 1: 2.0}
    assert choose(merged, np.array([0, 1])).slot == 1
