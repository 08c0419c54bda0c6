"""The keyframes' colour moved along the motion onto every frame of their shot, in display order.

Chained flows (memovid.motion.guide.KeyframeGuide.guide_shot) follow the picture better than one long
warp but hold frames back until the shot's next keyframe (up to MAX_HELD). Where a gap's worth of
full-size pictures would pass HELD_LIMIT (sparse keyframes, large frames), pass 2 keeps only each
frame's working-size picture and its finishing thread reads the film a second time for the full-size
ones (memovid.paint.stream.Pictures; a 720p H.264 decode is ~2.5 ms a frame, a 2K DPX scan ~120 ms; a
held 720p picture is 0.9 MB, a deep 2K scan 9.6 MB). A shot whose keyframes are further apart than
MAX_HELD frames gets direct warps instead, so memory stays bounded whatever the keyframe spacing.
"""

from __future__ import annotations

from itertools import chain, groupby
from typing import Iterator

from memovid.model.inputs import at_size
from memovid.paint.stream import Item
from memovid.timing import stage, timed

MAX_HELD = 120  # frames guide_shot may hold back waiting for the next keyframe; longer gaps use direct warps
HELD_LIMIT = 64 << 20  # full-size pictures held beyond this: pass 2 reads the film a second time instead


def track_keyframes(items: Iterator[Item], film, analysis, chroma_only: bool = False) -> Iterator[Item]:
    """``items`` with each frame's keyframe guidance attached (``item.guide``), shot by shot; the
    keyframes' full-size colour is moved at the frame's size, or at the 4:2:0 chroma size (H/2, W/2)
    with ``chroma_only``."""
    from memovid.color.levels import L_to_L8

    for shot, group in groupby(items, key=lambda item: item.shot):
        first = next(group)
        group = chain([first], group)
        with stage("guide"):
            H, W = first.size
            colour_shape = (H // 2, W // 2) if chroma_only else (H, W)
            guide = _shot_guide(film, analysis, shot, colour_shape) if film.config.guidance else None
        if guide is None or not guide.indices:
            yield from group
        elif widest_gap(analysis.table.shots[shot], guide.indices) > MAX_HELD:
            for item in group:
                with stage("guide"):
                    item.guide = guide.guide_for(item.index, L_to_L8(item.L_small))
                yield item
        else:
            held: dict[int, Item] = {}

            def feed(group=group, held=held):
                for item in group:
                    held[item.index] = item
                    yield item.index, L_to_L8(item.L_small)

            for index, g in timed("guide", guide.guide_shot(feed())):
                item = held.pop(index)
                item.guide = g
                yield item


def held_bytes(film, analysis, frame) -> int:
    """The most full-size picture bytes the keyframe chains would hold at once if the items kept their
    frames: the widest keyframe gap of any shot (within MAX_HELD: wider ones get direct warps and hold
    nothing) times one frame like ``frame`` (its picture and, from a deep source, its luma)."""
    if not (film.config.guidance and analysis.keyframes):
        return 0
    shots = analysis.table.shots
    gaps = [widest_gap(shots[shot], numbers) for shot, numbers in analysis.keyframes_by_shot().items()]
    held = max((g for g in gaps if g <= MAX_HELD), default=0)
    return held * (frame.image.nbytes + (frame.luma.plane.nbytes if frame.luma is not None else 0))


def widest_gap(span, indices: list[int]) -> int:
    """The most frames guide_shot would hold at once in this shot: the longest run before a keyframe."""
    edges = [span.start - 1, *indices]
    return max(b - a for a, b in zip(edges, edges[1:]))


def _shot_guide(film, analysis, shot: int, full_shape: tuple[int, int]):
    """The shot's keyframes at working size, with their full-size colour where it can be read (read
    when a frame first needs it, a few at a time: memovid.motion.guide.LazyFull)."""
    from functools import partial

    from memovid.motion.guide import GuideConfig, KeyframeGuide, LazyFull
    from memovid.paint.paintings import full_size_ab

    guide = KeyframeGuide(GuideConfig(full_size=film.config.full_size_blend))
    span = analysis.table.shots[shot]
    for number, keyframe in analysis.keyframes.items():
        if span.start <= number < span.end:
            path = film.paintings.get(number)
            guide.add_keyframe(number, *at_size(keyframe, film.shape),
                               None if path is None else LazyFull(full_shape, partial(full_size_ab, path, keyframe, full_shape)))
    return guide
