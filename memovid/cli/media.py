"""``memovid info``, ``transcode`` and ``scenes``: what is in a film, re-encoding it, its shots and scenes."""

from __future__ import annotations

import json
from pathlib import Path

import click

from memovid.cli.common import Session, default, existing, pass_session
from memovid.video.options import CODECS, EncodeOptions


@click.command()
@click.argument("input", type=existing)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def info(input: Path, as_json: bool) -> None:
    """Show what is in a video file or image sequence."""
    from memovid.video import probe

    found = probe(input, detect_interlace=True)
    media = found.to_dict()
    if as_json:
        click.echo(json.dumps(media, indent=2))
        return
    from memovid.cli.ui import err, out, render_info

    out.print(render_info(media))
    if found.interlaced:
        err.print(f"interlaced ({found.fields_seen or found.field_order} first): --deinterlace on transcode and "
                  "colorize weaves the fields (FFmpeg's bwdif); colorized as it is, motion combs the colour")


@click.command()
@click.argument("input", type=existing)
@click.option("-o", "--output", type=existing, required=True, help="Output file, folder or printf pattern.")
@click.option("--codec", type=click.Choice(list(CODECS)), default=default(EncodeOptions, "codec"),
              show_default=True, help="h264 for viewing, ffv1/prores for masters, png for frames.")
@click.option("--crf", type=click.IntRange(0, 51), default=None,
              help="Quality for h264/h265 (lower is better; default per codec).")
@click.option("--deinterlace", is_flag=True,
              help="Weave interlaced fields (DV, DVD, broadcast tape) with FFmpeg's bwdif first.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@pass_session
def transcode(session: Session, input: Path, output: Path, codec: str, crf: int | None, deinterlace: bool,
              overwrite: bool) -> None:
    """Decode and re-encode a video (sound and subtitles copied): the path every colorize run rides on."""
    from memovid.video import transcode as run_transcode

    options = EncodeOptions(codec=codec, crf=crf)
    with session.progress() as progress:
        result = run_transcode(input, output, options=options, overwrite=overwrite, progress=progress,
                               deinterlace=deinterlace)
    if not session.quiet:
        from memovid.cli.ui import err

        err.print(f"wrote {output}: {result.frames} frames in {result.seconds:.1f} s "
                  f"({result.frames / max(result.seconds, 1e-9):.1f} frames/s)")


SCENE_FORMATS = ("table", "csv", "json", "edl")


@click.command()
@click.argument("input", type=existing)
@click.option("--format", "fmt", type=click.Choice(SCENE_FORMATS), default=None,
              help="Default: from the output's suffix (.json, .csv, .edl), else table.")
@click.option("-o", "--output", type=existing, default=None, help="Write to FILE instead of the screen.")
@click.option("--overwrite", is_flag=True, help="Replace the output file if it exists.")
@click.option("--min-shot", "min_shot_len", type=click.IntRange(1), default=None,
              help="Shortest shot in frames (closer boundaries are merged).")
@click.option("--cut-ratio", type=click.FloatRange(1.0), default=None,
              help="How far above its neighbourhood a frame change must be to count as a cut.")
@click.option("--group-window", type=click.IntRange(0), default=None,
              help="How many shots back a returning camera setup still joins the same scene.")
@pass_session
def scenes(session: Session, input: Path, fmt: str, output: Path | None, overwrite: bool, **params) -> None:
    """Split a film into shots and scenes (cuts, fades, dissolves; conversations kept together)."""
    from memovid.scenes import SceneConfig, split_file
    from memovid.textout import write_text

    if fmt is None:  # `-o scenes.json` means JSON: a table in a .json file is what --scenes then refuses
        suffix = output.suffix.lower().lstrip(".") if output is not None else ""
        fmt = suffix if suffix in SCENE_FORMATS and suffix != "table" else "table"
    config = SceneConfig(**{k: v for k, v in params.items() if v is not None})
    with session.progress() as progress:
        table = split_file(input, config, progress=progress)
    if fmt == "table" and output is None:
        from memovid.cli.ui import out, render_scenes

        out.print(render_scenes(table))
        return
    text = {"table": table.to_csv, "csv": table.to_csv, "json": table.to_json,
            "edl": lambda: table.to_edl(title=input.stem)}[fmt]()
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        write_text(output, text, overwrite=overwrite)
