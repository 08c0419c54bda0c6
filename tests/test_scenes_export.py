"""Scene table exports (JSON schema, CSV timecodes, CMX 3600 EDL) and the hand-edited JSON loader."""

import csv
import io
import json
import re

import pytest

from memovid.errors import InputError
from memovid.scenes import Scene, SceneTable, Shot, Transition, load_scene_table


def table(fps: float = 25.0) -> SceneTable:
    return SceneTable(
        fps=fps, frames=130,
        shots=[Shot(0, 48), Shot(48, 100), Shot(100, 130)],
        transitions=[Transition(48, 48, "cut"), Transition(92, 108, "dissolve")],
        scenes=[Scene(0, 100, [0, 1]), Scene(100, 130, [2])],
    )


def test_json_follows_the_design_schema():
    data = json.loads(table().to_json())
    assert data == {
        "fps": 25.0, "frames": 130,
        "shots": [{"start": 0, "end": 48}, {"start": 48, "end": 100}, {"start": 100, "end": 130}],
        "scenes": [{"start": 0, "end": 100, "shots": [0, 1]}, {"start": 100, "end": 130, "shots": [2]}],
        "transitions": [{"start": 48, "end": 48, "kind": "cut"},
                        {"start": 92, "end": 108, "kind": "dissolve"}],
    }


def test_csv_has_frames_and_timecodes():
    rows = list(csv.DictReader(io.StringIO(table(29.97).to_csv())))
    assert [r["start_frame"] for r in rows] == ["0", "48", "100"]
    assert rows[1]["start_time"] == "00:00:01.602"  # 48 / 29.97 s
    assert rows[2]["end_time"] == "00:00:04.338" and rows[2]["scene"] == "1"
    assert rows[1]["transition_in"] == "cut" and rows[2]["transition_in"] == "dissolve 92-108"


def test_edl_events_parse_and_count_frames():
    edl = table(25.0).to_edl("reel one")
    lines = edl.splitlines()
    assert lines[:2] == ["TITLE: reel one", "FCM: NON-DROP FRAME"]
    event = re.compile(r"^(\d{3})  AX\s+V\s+C\s+((?:\d\d:){3}\d\d) ((?:\d\d:){3}\d\d) "
                       r"((?:\d\d:){3}\d\d) ((?:\d\d:){3}\d\d)$")
    events = [event.match(line).groups() for line in lines if event.match(line)]
    assert [e[0] for e in events] == ["001", "002", "003"]
    assert events[1][1:] == ("00:00:01:23", "00:00:04:00", "00:00:01:23", "00:00:04:00")
    assert "29.970 fps written as 30 fps" in table(29.97).to_edl()
    assert table(29.97).to_edl().splitlines()[-2].endswith("00:00:04:10")  # 130 = 4 s 10 f at 30


def test_rows_for_the_screen_table():
    rows = table().rows()
    assert rows[1] == {"scene": "0", "shot": "1", "start": "48 (00:00:01.920)",
                       "end": "100 (00:00:04.000)", "frames": "52", "transition in": "cut"}


def test_loader_round_trips(tmp_path):
    path = tmp_path / "scenes.json"
    path.write_text(table().to_json())
    assert load_scene_table(path, frames=130, fps=25.0) == table()
    data = json.loads(table().to_json())
    del data["scenes"], data["transitions"]
    path.write_text(json.dumps(data))
    assert [s.shots for s in load_scene_table(path).scenes] == [[0], [1], [2]]


def edit(tmp_path, change):
    data = json.loads(table().to_json())
    change(data)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("change, message", [
    (lambda d: d["shots"].__setitem__(1, {"start": 40, "end": 100}), r"shots\[1\] .* overlaps"),
    (lambda d: d["shots"].reverse(), r"shots\[0\] .*(out of order|leaves frames 0-99)"),
    (lambda d: d["shots"].__setitem__(1, {"start": 50, "end": 100}), r"leaves frames 48-49 in no shot"),
    (lambda d: d["shots"].__setitem__(2, {"start": 100, "end": 140}), r"shots\[2\] .*ends beyond"),
    (lambda d: d["shots"].__setitem__(1, {"start": 48, "end": 48}), r"shots\[1\] .*empty"),
    (lambda d: d["shots"].__setitem__(1, {"start": 48.5, "end": 100}), r"'start' must be an integer"),
    (lambda d: d["scenes"][1].__setitem__("shots", [2, 3]), r"scenes\[1\] .*names shot 3"),
    (lambda d: d["scenes"][1].__setitem__("shots", [1, 2]), r"scenes\[1\] .*continue in order from shot 2"),
    (lambda d: d["scenes"][0].__setitem__("end", 90), r"scenes\[0\] .*frames must be 0-100"),
    (lambda d: d.__setitem__("shots", []), r"'shots' must be a non-empty list"),
    (lambda d: d["transitions"][1].__setitem__("kind", "wipe"), r"transitions\[1\] .*'kind'"),
])
def test_loader_names_the_file_and_the_bad_entry(tmp_path, change, message):
    path = edit(tmp_path, change)
    with pytest.raises(InputError, match=message) as error:
        load_scene_table(path)
    assert str(error.value).startswith(str(path)) and "\n" not in str(error.value)


def test_loader_checks_against_the_video(tmp_path):
    path = edit(tmp_path, lambda d: None)
    with pytest.raises(InputError, match="the video has 200 frames"):
        load_scene_table(path, frames=200)
    (tmp_path / "broken.json").write_text("{\"fps\": 25,")
    with pytest.raises(InputError, match=r"broken.json: not valid JSON"):
        load_scene_table(tmp_path / "broken.json")
    with pytest.raises(InputError, match="not found"):
        load_scene_table(tmp_path / "missing.json")
