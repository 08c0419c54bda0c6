"""The batch commands with the real model (test_batch.py checks the batch logic with a stand-in job):
`memovid batch` and `memovid run` colorize every film, keep frames and sound, and write the manifest."""

import json

from click.testing import CliRunner

from memovid.cli import cli
from memovid.video import probe, read_frames
from tests.mediagen import make_video, packet_bytes


def test_batch_and_run_colorize_with_a_trained_model(tmp_path):
    colour = make_video(tmp_path / "colour.mp4", n=12, size=(64, 48), audio=False)
    model = tmp_path / "m.memo"
    runner = CliRunner()
    trained = runner.invoke(cli, ["--quiet", "train", str(colour), "-m", str(model), "--steps", "2", "--size", "64"])
    assert trained.exit_code == 0, trained.output
    films = [make_video(tmp_path / f"film{i}.mp4", n=10 + i, size=(64, 48), seed=i) for i in range(2)]
    for command in (["batch", *map(str, films), "-m", str(model), "-o", str(tmp_path / "batch"), "--preset", "preview"],
                    ["run", "preview", *map(str, films), "-m", str(model), "-o", str(tmp_path / "run")]):
        result = runner.invoke(cli, ["--quiet", *command])
        assert result.exit_code == 0, result.output
        outdir = tmp_path / command[0]
        lines = [json.loads(line) for line in (outdir / "memovid-batch.jsonl").read_text().splitlines()]
        assert sorted(r["status"] for r in lines if r.get("status") in ("done", "failed")) == ["done", "done"]
        for film in films:
            out = outdir / film.name
            assert probe(out, count_frames=True).frames == probe(film, count_frames=True).frames
            assert [f.pts for f in read_frames(out)] == [f.pts for f in read_frames(film)]
            assert [d for _, d in packet_bytes(out, "audio")] == [d for _, d in packet_bytes(film, "audio")]
