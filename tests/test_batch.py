"""Batches: a corrupt file in the middle, the manifest, resume after a kill, local processes.

The job function is a stand-in for colorize (it inverts the picture through the same decode/encode
path and the same output names), so these tests check the batch logic, not the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest
from click.testing import CliRunner

from mediagen import make_video
from memovid.batch import run as batch_module
from memovid.api import load_pipeline
from memovid.batch.jobs import Job
from memovid.batch.manifest import MANIFEST
from memovid.batch.run import run_batch
from memovid.cli import cli
from memovid.errors import InputError
from memovid.video import probe, read_frames, write_video

FRAMES = 12


def invert_job(job: Job, scenes=None) -> tuple[int, float]:
    """Module level, so that spawned worker processes can unpickle it."""
    frames = (f.with_image(255 - f.image) for f in read_frames(job.input))
    result = write_video(frames, job.output, source=job.input, options=job.pipeline.settings.encode, overwrite=True)
    return result.frames, result.seconds


@pytest.fixture
def shelf(tmp_path) -> list[Path]:
    """Three films, the middle one not a video at all."""
    folder = tmp_path / "shelf"
    folder.mkdir()
    a = make_video(folder / "a.mp4", n=FRAMES, size=(64, 48))
    bad = folder / "b.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a film" * 10)
    c = make_video(folder / "c.mp4", n=FRAMES, size=(64, 48), seed=3)
    return [a, bad, c]


@pytest.fixture
def model(tmp_path) -> Path:
    path = tmp_path / "stand-in.memo"
    path.write_bytes(b"the job function under test does not read it")
    return path


@pytest.fixture
def runner(monkeypatch) -> CliRunner:
    from memovid.cli.batch import batch, run

    for command in (run, batch):
        if command.name not in cli.commands:
            cli.add_command(command)
    monkeypatch.setattr(batch_module, "colorize_job", invert_job)
    return CliRunner()


def manifest_lines(outdir: Path) -> list[dict]:
    return [json.loads(line) for line in (outdir / MANIFEST).read_text().splitlines()]


def final_status(outdir: Path) -> dict[str, dict]:
    return {Path(r["input"]).name: r for r in manifest_lines(outdir)}


def test_corrupt_file_in_the_middle_fails_alone_and_exits_1(shelf, model, runner, tmp_path):
    outdir = tmp_path / "out"
    result = runner.invoke(cli, ["batch", *map(str, shelf), "-m", str(model), "-o", str(outdir)])
    assert result.exit_code == 1, result.output
    status = final_status(outdir)
    assert status["a.mp4"]["status"] == status["c.mp4"]["status"] == "done"
    assert status["a.mp4"]["frames"] == status["c.mp4"]["frames"] == FRAMES
    assert status["b.mp4"]["status"] == "failed"
    assert "not a media file" in status["b.mp4"]["error"]
    assert probe(outdir / "a.mp4").frames == probe(outdir / "c.mp4").frames == FRAMES
    assert not (outdir / "b.mp4").exists()
    assert "1 failed" in result.output and "films failed" in result.output
    # Every film is announced before it runs: a killed batch says what was in progress.
    assert [r["status"] for r in manifest_lines(outdir)].count("running") == 3


def test_run_with_a_preset_writes_its_codec_and_exits_0(shelf, model, runner, tmp_path):
    outdir = tmp_path / "out"
    result = runner.invoke(cli, ["run", "archive-master", str(shelf[0]), str(shelf[2]), "-m", str(model),
                                 "-o", str(outdir)])
    assert result.exit_code == 0, result.output
    master = outdir / "a.mkv"  # FFV1 masters go in Matroska
    assert probe(master, count_frames=True).frames == FRAMES
    with av.open(str(master)) as container:
        assert container.streams.video[0].codec_context.name == "ffv1"
    bad = runner.invoke(cli, ["run", "archive-master", str(shelf[0]), "-m", str(model), "-o", str(outdir),
                              "--set", "encode.codec=mpeg1"])
    assert bad.exit_code == 2 and "encode.codec" in bad.output


def test_resume_skips_checked_outputs_and_redoes_the_rest(shelf, model, tmp_path):
    films = [shelf[0], shelf[2]]
    outdir = tmp_path / "out"
    pipeline = load_pipeline()
    first = run_batch(films, model, outdir, pipeline=pipeline, work=invert_job)
    assert [r.status for r in first.results] == ["done", "done"] and first.exit_code == 0

    # Kill c mid-write: its manifest line says running, its output is cut short, a temp file is left.
    output_c = outdir / "c.mp4"
    output_c.write_bytes(output_c.read_bytes()[: output_c.stat().st_size // 2])
    leftover = outdir / ".c.x1y2.memovid-tmp.mp4"
    leftover.write_bytes(b"half")
    with open(outdir / MANIFEST, "a") as handle:
        handle.write(json.dumps({"input": str(films[1]), "output": str(output_c), "status": "running",
                                 "frames": 0, "seconds": 0.0, "error": None}) + "\n")
        handle.write('{"input": "cut off by the ki')  # the kill landed mid-line

    calls: list[str] = []

    def counting(job, scenes=None):
        calls.append(job.input.name)
        return invert_job(job)

    again = run_batch(films, model, outdir, pipeline=pipeline, work=counting)
    assert calls == ["c.mp4"]
    assert [r.status for r in again.results] == ["skipped", "done"]
    assert probe(output_c).frames == FRAMES and not leftover.exists()

    # "done" is checked, not assumed: a done film whose output lost frames is redone too.
    write_video((f for f in read_frames(films[0]) if f.index < FRAMES // 2), outdir / "a.mp4", overwrite=True)
    calls.clear()
    third = run_batch(films, model, outdir, pipeline=pipeline, work=counting)
    assert calls == ["a.mp4"] and [r.status for r in third.results] == ["done", "skipped"]
    assert probe(outdir / "a.mp4").frames == FRAMES


def test_two_local_processes_finish_every_film(shelf, model, tmp_path):
    outdir = tmp_path / "out"
    result = run_batch(shelf, model, outdir, jobs=2, work=invert_job)
    assert result.workers == 2
    assert [r.status for r in result.results] == ["done", "failed", "done"]
    assert "not a media file" in result.failed[0].error
    assert result.frames == 2 * FRAMES and result.exit_code == 1


def test_arguments_refused_before_anything_runs(shelf, model, tmp_path):
    with pytest.raises(InputError, match="executor"):
        run_batch(shelf, model, tmp_path, executor="slurm", work=invert_job)
    with pytest.raises(InputError, match="address"):
        run_batch(shelf, model, tmp_path, address="10.0.0.1:6379", work=invert_job)
    with pytest.raises(InputError, match="no such model"):
        run_batch(shelf, tmp_path / "missing.memo", tmp_path, work=invert_job)
    twin = tmp_path / "other"
    twin.mkdir()
    (twin / "a.mp4").write_bytes(shelf[0].read_bytes())
    with pytest.raises(InputError, match="both be written"):
        run_batch([shelf[0], twin / "a.mp4"], model, tmp_path / "out", work=invert_job)
    assert not (tmp_path / "out").exists()
