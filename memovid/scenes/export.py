"""Exports of a SceneTable: CSV with timecodes, CMX 3600 EDL, and rows for an on-screen table.

The table calls these (``SceneTable.to_csv``...), so this module takes any table and imports none.
"""

from __future__ import annotations

import bisect
import csv
import io


def clock(frame: int, fps: float) -> str:
    """Wall-clock time of a frame, HH:MM:SS.mmm (exact at any frame rate, 29.97 included)."""
    millis = int(round(frame * 1000.0 / fps))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def edl_timecode(frame: int, fps: float) -> str:
    """Non-drop-frame SMPTE timecode HH:MM:SS:FF counting frames at the nominal rate round(fps).

    At 29.97 (and 23.976, 59.94) this is the usual non-drop-frame convention: the timecode counts
    30 frames per "second", so it runs 0.1 % slower than the wall clock; frame numbers stay exact.
    """
    base = max(1, int(round(fps)))
    seconds, frames = divmod(frame, base)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{frames:02d}"


def table_to_csv(table) -> str:
    """One row per shot: indices, frame numbers, clock times, and the transition that starts it."""
    scene_of = table.scene_of_shot()
    entering = _entering_transitions(table)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["shot", "scene", "start_frame", "end_frame", "frames", "start_time", "end_time",
         "duration_s", "transition_in"]
    )
    for index, shot in enumerate(table.shots):
        writer.writerow(
            [index, scene_of[index], shot.start, shot.end, shot.length, clock(shot.start, table.fps),
             clock(shot.end, table.fps), f"{shot.length / table.fps:.3f}", entering.get(index, "")]
        )
    return out.getvalue()


def table_to_edl(table, title: str = "memovid") -> str:
    """CMX 3600 EDL, one cut event per shot; source and record timecodes coincide (the film as is)."""
    lines = [f"TITLE: {title}", "FCM: NON-DROP FRAME"]
    if abs(table.fps - round(table.fps)) > 1e-3:
        lines.append(
            f"* {table.fps:.3f} fps written as {int(round(table.fps))} fps non-drop-frame timecode"
        )
    lines.append("")
    for index, shot in enumerate(table.shots):
        tc_in, tc_out = edl_timecode(shot.start, table.fps), edl_timecode(shot.end, table.fps)
        lines.append(f"{index + 1:03d}  AX       V     C        {tc_in} {tc_out} {tc_in} {tc_out}")
        lines.append(f"* FROM CLIP NAME: {title} shot {index}")
        lines.append("")
    return "\n".join(lines)


def table_rows(table) -> list[dict[str, str]]:
    """Rows for a rich table, all strings, in shot order (the CLI only renders them)."""
    scene_of = table.scene_of_shot()
    entering = _entering_transitions(table)
    return [
        {
            "scene": str(scene_of[index]),
            "shot": str(index),
            "start": f"{shot.start} ({clock(shot.start, table.fps)})",
            "end": f"{shot.end} ({clock(shot.end, table.fps)})",
            "frames": str(shot.length),
            "transition in": entering.get(index, ""),
        }
        for index, shot in enumerate(table.shots)
    ]


def _entering_transitions(table) -> dict[int, str]:
    """Shot index -> the transition(s) leading into it ('dissolve 120-135'), first shot excluded."""
    starts = [shot.start for shot in table.shots]
    found: dict[int, str] = {}
    for transition in table.transitions:
        index = bisect.bisect_left(starts, transition.start)
        if index == 0 or index >= len(starts):
            continue
        text = "cut" if transition.kind == "cut" else (
            f"{transition.kind} {transition.start}-{transition.end}"
        )
        found[index] = f"{found[index]} + {text}" if index in found else text
    return found
