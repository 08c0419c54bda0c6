"""Loading and checking a scene table written by ``memovid scenes --format json`` and edited by hand.

``train`` and ``colorize --scenes FILE`` rely on the table tiling the film exactly, so every
problem is an InputError with one line naming the file and the offending entry.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from memovid.errors import InputError
from memovid.log import logger
from memovid.scenes.table import TRANSITION_KINDS, Scene, SceneTable, Shot, Transition


def load_scene_table(
    path: str | Path, frames: int | None = None, fps: float | None = None
) -> SceneTable:
    """Read and validate a scene table JSON file.

    frames: the frame count of the video the table is for; when given, the shots must end there.
    fps: the video's frame rate; when given and different from the file's, the video's wins (warned).
    ``scenes`` may be left out (each shot becomes a scene); ``transitions`` is optional.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: scene file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read scene file ({error})") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None
    return parse_scene_table(data, str(path), frames, fps)


def parse_scene_table(
    data: object, name: str = "<scene table>", frames: int | None = None, fps: float | None = None
) -> SceneTable:
    """Validate already-parsed JSON (see load_scene_table); ``name`` prefixes every error."""

    def fail(message: str) -> InputError:
        return InputError(f"{name}: {message}")

    if not isinstance(data, dict):
        raise fail(f"expected a JSON object with 'shots', got {type(data).__name__}")
    file_fps = data.get("fps")
    if file_fps is None and fps is None:
        raise fail("missing 'fps'")
    if file_fps is not None and (
        isinstance(file_fps, bool) or not isinstance(file_fps, (int, float))
        or not math.isfinite(file_fps) or file_fps <= 0
    ):
        raise fail(f"'fps' must be a positive number, got {file_fps!r}")
    if fps is not None and file_fps is not None and abs(fps - file_fps) > 1e-3:
        logger.warning("%s: fps %s in the file differs from the video's %s; using the video's",
                       name, file_fps, fps)
    rate = float(fps if fps is not None else file_fps)

    raw_shots = data.get("shots")
    if not isinstance(raw_shots, list) or not raw_shots:
        raise fail("'shots' must be a non-empty list of {\"start\": int, \"end\": int}")
    shots = [Shot(*_span(entry, f"shots[{i}]", fail)) for i, entry in enumerate(raw_shots)]
    expected_start = 0
    for i, shot in enumerate(shots):
        label = f"shots[{i}] {_show(raw_shots[i])}"
        if shot.start < expected_start:
            problem = "overlaps the previous shot" if i else "starts before frame 0"
            if i and shot.start < shots[i - 1].start:
                problem = "is out of order (shots must be sorted by start)"
            raise fail(f"{label} {problem}")
        if shot.start > expected_start:
            raise fail(f"{label} leaves frames {expected_start}-{shot.start - 1} in no shot")
        expected_start = shot.end

    file_frames = data.get("frames")
    if file_frames is not None and (isinstance(file_frames, bool) or not isinstance(file_frames, int)):
        raise fail(f"'frames' must be an integer, got {file_frames!r}")
    total = frames if frames is not None else file_frames
    if total is None:
        total = shots[-1].end
    if frames is not None and file_frames is not None and file_frames != frames:
        raise fail(f"'frames' is {file_frames} but the video has {frames} frames")
    if shots[-1].end != total:
        where = "beyond" if shots[-1].end > total else "before"
        raise fail(
            f"shots[{len(shots) - 1}] {_show(raw_shots[-1])} ends {where} the last frame "
            f"(the video has {total} frames)"
        )

    scenes = _parse_scenes(data.get("scenes"), shots, fail)
    transitions = _parse_transitions(data.get("transitions", []), total, fail)
    return SceneTable(fps=rate, frames=int(total), shots=shots, transitions=transitions, scenes=scenes)


def _parse_scenes(raw: object, shots: list[Shot], fail) -> list[Scene]:
    if raw is None:
        return [Scene(s.start, s.end, [i]) for i, s in enumerate(shots)]
    if not isinstance(raw, list) or not raw:
        raise fail("'scenes' must be a non-empty list of {\"start\", \"end\", \"shots\": [...]}")
    scenes: list[Scene] = []
    next_shot = 0
    for i, entry in enumerate(raw):
        label = f"scenes[{i}] {_show(entry)}"
        start, end = _span(entry, f"scenes[{i}]", fail)
        members = entry.get("shots")
        if not isinstance(members, list) or not members or not all(
            isinstance(m, int) and not isinstance(m, bool) for m in members
        ):
            raise fail(f"{label}: 'shots' must be a non-empty list of shot indices")
        missing = [m for m in members if not 0 <= m < len(shots)]
        if missing:
            raise fail(f"{label} names shot {missing[0]}, but there are only {len(shots)} shots")
        if members != list(range(next_shot, next_shot + len(members))):
            raise fail(
                f"{label}: shots must continue in order from shot {next_shot} without gaps or repeats"
            )
        if start != shots[members[0]].start or end != shots[members[-1]].end:
            raise fail(
                f"{label}: frames must be {shots[members[0]].start}-{shots[members[-1]].end}, "
                "the span of its shots"
            )
        scenes.append(Scene(start, end, list(members)))
        next_shot += len(members)
    if next_shot != len(shots):
        raise fail(f"shots {next_shot}-{len(shots) - 1} belong to no scene")
    return scenes


def _parse_transitions(raw: object, frames: int, fail) -> list[Transition]:
    if not isinstance(raw, list):
        raise fail("'transitions' must be a list")
    transitions = []
    for i, entry in enumerate(raw):
        label = f"transitions[{i}] {_show(entry)}"
        start, end = _span(entry, f"transitions[{i}]", fail, allow_empty=True)
        if entry.get("kind") not in TRANSITION_KINDS:
            raise fail(f"{label}: 'kind' must be one of {', '.join(TRANSITION_KINDS)}")
        if end > frames:
            raise fail(f"{label} ends beyond the last frame (the video has {frames} frames)")
        transitions.append(Transition(start, end, entry["kind"]))
    return transitions


def _span(entry: object, label: str, fail, allow_empty: bool = False) -> tuple[int, int]:
    if not isinstance(entry, dict):
        raise fail(f"{label} {_show(entry)} must be an object with 'start' and 'end'")
    start, end = entry.get("start"), entry.get("end")
    for key, value in (("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(f"{label} {_show(entry)}: '{key}' must be an integer frame number, got {value!r}")
    if start < 0:
        raise fail(f"{label} {_show(entry)} starts before frame 0")
    if end < start or (end == start and not allow_empty):
        raise fail(f"{label} {_show(entry)} is empty or reversed (end must be greater than start)")
    return start, end


def _show(entry: object) -> str:
    text = json.dumps(entry, separators=(", ", ": "))
    return text if len(text) <= 80 else text[:77] + "..."
