"""Grouping shots into scenes: "a single event or conversation between characters, occurring
during one period of time and in a single place" (MemoPainter's supplement).

Shots i < j are linked when j - i <= ``group_window`` and their signatures show the same set-up
(distance <= ``group_threshold``). A scene boundary falls between two shots unless a link spans it,
so in A B A B every shot between the first A and the returning one joins the scene, and a shot
that matches nothing nearby starts a scene of its own (a new place or time). A fade to or from
black stops links: it always starts a new scene (``fade_breaks_scene``).
"""

from __future__ import annotations

from memovid.scenes.config import SceneConfig
from memovid.scenes.signature import Sample, shot_distance
from memovid.scenes.table import Scene, Shot


def group_shots(
    shots: list[Shot], signatures: list[list[Sample]], breaks: set[int], config: SceneConfig
) -> list[Scene]:
    """shots tile the film; signatures[i] belongs to shots[i]; breaks: shot indices that must
    start a scene. Returns scenes that tile the shots in order."""
    if not shots:
        return []
    spanned = [False] * len(shots)  # spanned[k]: a link crosses the boundary before shot k
    for j in range(1, len(shots)):
        for i in range(max(0, j - config.group_window), j):
            if any(k in breaks for k in range(i + 1, j + 1)):
                continue
            if signatures[i] and signatures[j] and (
                shot_distance(signatures[i], signatures[j]) <= config.group_threshold
            ):
                for k in range(i + 1, j + 1):
                    spanned[k] = True
                break  # the earliest match spans the most; later ones add nothing
    scenes: list[Scene] = []
    members: list[int] = []
    for k, shot in enumerate(shots):
        if members and not spanned[k]:
            scenes.append(Scene(shots[members[0]].start, shots[members[-1]].end, members))
            members = []
        members.append(k)
    scenes.append(Scene(shots[members[0]].start, shots[members[-1]].end, members))
    return scenes
