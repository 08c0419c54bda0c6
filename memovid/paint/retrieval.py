"""Choosing one colour feature per scene by voting over its frames' memory look-ups.

The paper reads the top-1 slot per image. In a film that flickers: neighbouring frames of one shot
can land on different slots, and an under-trained memory sometimes returns an irrelevant one (the
failure the authors name). memovid lets every frame of a scene vote with its top-k slots, weighted by
similarity; first the memory scene with most support wins (a scene keeps one palette), then its
best-supported slot. Votes are a few hundred floats per shot, so memory stays flat in film length.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

VOTE_TEMPERATURE = 0.05   # softmax temperature over cosine similarities of a frame's top-k slots
VOTE_KEEP = 256           # slots kept per shot ballot (the weakest are dropped beyond that)


@dataclass
class Ballot:
    """The votes of one shot: slot -> summed weight, and its frames' top-1 similarities."""

    weights: dict[int, float] = field(default_factory=dict)
    top1_similarity_sum: float = 0.0
    frames: int = 0

    def add(self, slots: np.ndarray, similarities: np.ndarray) -> None:
        """One frame's top-k: slots (k,) int (-1 = empty), similarities (k,) float, best first."""
        valid = slots >= 0
        if not valid.any():
            self.frames += 1
            return
        s, sim = slots[valid], similarities[valid].astype(np.float64)
        w = np.exp((sim - sim.max()) / VOTE_TEMPERATURE)
        w /= w.sum()
        for slot, weight in zip(s.tolist(), w.tolist()):
            self.weights[slot] = self.weights.get(slot, 0.0) + weight
        self.top1_similarity_sum += float(sim[0])
        self.frames += 1
        if len(self.weights) > 2 * VOTE_KEEP:
            kept = sorted(self.weights.items(), key=lambda kv: -kv[1])[:VOTE_KEEP]
            self.weights = dict(kept)

    @property
    def confidence(self) -> float:
        """Mean cosine similarity of the frames' best slots: how familiar this footage is to the memory."""
        return self.top1_similarity_sum / self.frames if self.frames else 0.0

    def merge(self, other: "Ballot") -> "Ballot":
        merged = Ballot(dict(self.weights), self.top1_similarity_sum + other.top1_similarity_sum,
                        self.frames + other.frames)
        for slot, weight in other.weights.items():
            merged.weights[slot] = merged.weights.get(slot, 0.0) + weight
        return merged


@dataclass(frozen=True)
class Choice:
    """The winning slot of a ballot, its memory scene, and how decisive the vote was (0-1)."""

    slot: int
    memory_scene: int
    support: float
    confidence: float


def choose(ballot: Ballot, slot_scenes: np.ndarray) -> Choice | None:
    """The best-supported memory scene, then its best slot. None when nothing was voted for.

    slot_scenes: (m,) int, the scene id each memory slot is tagged with.
    """
    if not ballot.weights:
        return None
    slots = np.fromiter(ballot.weights.keys(), dtype=np.int64)
    weights = np.fromiter(ballot.weights.values(), dtype=np.float64)
    scenes = slot_scenes[slots]
    totals: dict[int, float] = {}
    for scene, weight in zip(scenes.tolist(), weights.tolist()):
        totals[scene] = totals.get(scene, 0.0) + weight
    winner = max(totals, key=totals.get)
    in_winner = scenes == winner
    best = int(slots[in_winner][np.argmax(weights[in_winner])])
    return Choice(best, int(winner), totals[winner] / weights.sum(), ballot.confidence)
