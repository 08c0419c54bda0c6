"""``memovid train film.mp4`` and ``memovid colorize bw_film.mp4``: the model and the output found by name.

Every refusal is one line, exit 2, and leaves the user's files as they were.
"""

from pathlib import Path

import pytest
from click.testing import CliRunner

import memovid
from memovid.cli import cli
from memovid.default_paths import colorize_paths, default_model_path, default_output, find_model
from memovid.errors import InputError, OutputError
from memovid.video import EncodeOptions, probe
from tests.mediagen import make_image_sequence, make_video

TINY = ["--steps", "2", "--size", "64"]


def _invoke(*args):
    return CliRunner().invoke(cli, list(args))


def _snapshot(folder: Path) -> dict:
    """Every file under ``folder``: its bytes and mtime."""
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def _refused(result, *words):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("memovid: error:"), lines
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_train_then_colorize_with_no_flags_in_an_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_video("film.mp4", n=12, audio=False)
    make_video("bw_film.mp4", n=12, seed=3, audio=True)

    trained = _invoke("train", "film.mp4", *TINY)
    assert trained.exit_code == 0, trained.output
    assert (tmp_path / "film.memo").is_file() and "wrote film.memo" in trained.stderr

    painted = _invoke("colorize", "bw_film.mp4", "--temporal", "off")
    assert painted.exit_code == 0, painted.output
    said = painted.stderr.splitlines()
    assert said[0] == "using model film.memo"
    assert any(line.startswith("wrote bw_film_colour.mp4: 12 frames in ") and line.endswith("frames/s)")
               for line in said), said
    info = probe(tmp_path / "bw_film_colour.mp4", count_frames=True)
    assert info.frames == 12 and info.audio  # the sound came along
    before = _snapshot(tmp_path)

    # Asked again, both refuse and change nothing; the messages say what to use.
    _refused(_invoke("train", "film.mp4", *TINY), "film.memo exists", "--update", "--overwrite")
    _refused(_invoke("--quiet", "colorize", "bw_film.mp4"), "bw_film_colour.mp4 exists", "--overwrite")
    assert _snapshot(tmp_path) == before

    # The Python API finds the same model and output.
    result = memovid.colorize("bw_film.mp4", overwrite=True, overrides=["temporal.mode=\"off\""])
    assert result.output == Path("bw_film_colour.mp4") and result.frames == 12


def test_colorize_with_no_model_anywhere_says_what_it_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    films = tmp_path / "films"
    films.mkdir()
    make_video(films / "bw.mp4", n=4, audio=False)
    before = _snapshot(tmp_path)
    line = _refused(_invoke("colorize", str(films / "bw.mp4")), "bw.memo", str(films), str(tmp_path),
                    "memovid train")
    assert _snapshot(tmp_path) == before and "bw_colour" not in line
    with pytest.raises(InputError, match="no model for"):
        memovid.colorize(films / "bw.mp4")


def test_two_models_in_the_folder_are_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_video("bw.mp4", n=4, audio=False)
    for name in ("a.memo", "b.memo"):
        Path(name).write_bytes(b"not looked at")
    before = _snapshot(tmp_path)
    _refused(_invoke("colorize", "bw.mp4"), "2 models", "a.memo, b.memo", "-m")
    _refused(_invoke("batch", "bw.mp4", "-o", "out"), "2 models")
    assert _snapshot(tmp_path) == before and not Path("out").exists()


def test_the_model_beside_the_input_wins_then_its_folder_then_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    films = tmp_path / "films"
    films.mkdir()
    film = films / "reel.mp4"
    film.write_bytes(b"")
    (tmp_path / "here.memo").write_bytes(b"")
    assert find_model(film) == tmp_path / "here.memo"
    (films / "other.memo").write_bytes(b"")
    assert find_model(film) == films / "other.memo"
    (films / "second.memo").write_bytes(b"")
    with pytest.raises(InputError, match="2 models in"):
        find_model(film)
    (films / "reel.memo").write_bytes(b"")
    assert find_model(film) == films / "reel.memo"


def test_default_paths_of_films_and_image_folders(tmp_path):
    keys = tmp_path / "keys"
    make_image_sequence(keys, n=2)
    film = tmp_path / "film.mov"
    assert default_model_path([film, keys]) == tmp_path / "film.memo"
    assert default_model_path([keys, film]) == tmp_path / "keys.memo"
    assert default_model_path([keys / "%05d.png"]) == tmp_path / "keys.memo"
    assert default_output(film, ".mp4") == tmp_path / "film_colour.mp4"
    model = object()
    assert colorize_paths(film, model, None) == (model, tmp_path / "film_colour.mp4")
    assert colorize_paths(film, model, None, EncodeOptions("ffv1"))[1] == tmp_path / "film_colour.mkv"
    assert colorize_paths(film, model, None, EncodeOptions("png"))[1] == tmp_path / "film_colour"
    assert colorize_paths(keys, model, None)[1] == tmp_path / "keys_colour"  # a folder of PNGs, as given
    assert colorize_paths(keys, model, None, EncodeOptions("ffv1"))[1] == tmp_path / "keys_colour.mkv"
    assert colorize_paths(film, model, "mine.mkv")[1] == Path("mine.mkv")


def test_train_on_a_keyframe_folder_refuses_to_replace_its_default_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_image_sequence("keys", n=2)
    Path("keys.memo").write_bytes(b"the user's model")
    before = _snapshot(tmp_path)
    _refused(_invoke("train", "keys", *TINY), "keys.memo exists", "--update", "--overwrite")
    with pytest.raises(OutputError, match="keys.memo exists"):
        memovid.train(["keys"])
    assert _snapshot(tmp_path) == before
