"""The ``memovid`` command line. It parses options, calls one library function and shows the result.

Everything here is presentation: the work lives in the library (``import memovid``). This is the only
place where the MemovidError family becomes exit codes: 0 done, 1 failed at run time, 2 bad usage or
bad input. Heavy modules (torch, faiss, av) are imported inside the commands so that ``--help`` is fast.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click

from memovid import __version__
from memovid.config import DEVICES, ColorizeConfig, TrainConfig
from memovid.video.options import CODECS, EncodeOptions
from memovid.errors import (
    DependencyError,
    InputError,
    MemovidError,
    ModelFileError,
    OutputError,
    RunError,
)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

# Most specific first: the first matching class decides the exit code.
EXIT_CODES: tuple[tuple[type[MemovidError], int], ...] = (
    (InputError, EXIT_BAD_INPUT),
    (OutputError, EXIT_BAD_INPUT),
    (ModelFileError, EXIT_BAD_INPUT),
    (DependencyError, EXIT_BAD_INPUT),
    (RunError, EXIT_FAILED),
    (MemovidError, EXIT_FAILED),
)


def exit_code_for(error: MemovidError) -> int:
    return next(code for cls, code in EXIT_CODES if isinstance(error, cls))


@dataclasses.dataclass
class Session:
    """What the group options decide for every command."""

    quiet: bool = False
    debug: bool = False

    def progress(self):
        from memovid.ui import progress_bar

        return progress_bar(self.quiet)


class MemovidGroup(click.Group):
    """Maps the error family to one line on stderr and an exit code (``--debug`` re-raises)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MemovidError as error:
            session = ctx.find_object(Session)
            if session is not None and session.debug:
                raise
            click.echo(f"memovid: error: {error}", err=True)
            ctx.exit(exit_code_for(error))
        except KeyboardInterrupt:
            click.echo("memovid: interrupted; no partial output was left behind", err=True)
            ctx.exit(EXIT_INTERRUPTED)


def default(cls: type, name: str):
    """The default of a config dataclass field: options read defaults from the one place they live."""
    field = next(f for f in dataclasses.fields(cls) if f.name == name)
    if field.default is not dataclasses.MISSING:
        return field.default
    return field.default_factory()  # type: ignore[misc]


pass_session = click.make_pass_decorator(Session, ensure=True)


@click.group(cls=MemovidGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="memovid")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or warnings; errors only.")
@click.option("--debug", is_flag=True, help="Show full tracebacks and debug logging.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, debug: bool) -> None:
    """Colorize black-and-white films and cartoons from a little colour footage (MemoPainter)."""
    from memovid.ui import setup_logging

    ctx.obj = Session(quiet=quiet, debug=debug)
    setup_logging(quiet, debug)


existing = click.Path(path_type=Path)  # existence is checked by the library, with memovid's messages


@cli.command()
@click.argument("input", type=existing)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def info(input: Path, as_json: bool) -> None:
    """Show what is in a video file or image sequence."""
    from memovid.video import probe

    media = probe(input).to_dict()
    if as_json:
        click.echo(json.dumps(media, indent=2))
        return
    from memovid.ui import out, render_info

    out.print(render_info(media))


@cli.command()
@click.argument("input", type=existing)
@click.option("-o", "--output", type=existing, required=True, help="Output file, folder or printf pattern.")
@click.option("--codec", type=click.Choice(list(CODECS)), default=default(EncodeOptions, "codec"),
              show_default=True, help="h264 for viewing, ffv1/prores for masters, png for frames.")
@click.option("--crf", type=click.IntRange(0, 51), default=None,
              help="Quality for h264/h265 (lower is better; default per codec).")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@pass_session
def transcode(session: Session, input: Path, output: Path, codec: str, crf: int | None, overwrite: bool) -> None:
    """Decode and re-encode a video (sound and subtitles copied): the path every colorize run rides on."""
    from memovid.video import transcode as run_transcode

    options = EncodeOptions(codec=codec, crf=crf)
    with session.progress() as progress:
        result = run_transcode(input, output, options=options, overwrite=overwrite, progress=progress)
    if not session.quiet:
        from memovid.ui import err

        err.print(f"wrote {output}: {result.frames} frames in {result.seconds:.1f} s "
                  f"({result.frames / max(result.seconds, 1e-9):.1f} frames/s)")


SCENE_FORMATS = ("table", "csv", "json", "edl")


@cli.command()
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
        from memovid.ui import out, render_scenes

        out.print(render_scenes(table))
        return
    text = {"table": table.to_csv, "csv": table.to_csv, "json": table.to_json,
            "edl": lambda: table.to_edl(title=input.stem)}[fmt]()
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        write_text(output, text, overwrite=overwrite)


@cli.command("eval")
@click.argument("output", type=existing)
@click.argument("reference", type=existing)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with per-frame figures).")
@pass_session
def eval_command(session: Session, output: Path, reference: Path, as_json: bool) -> None:
    """Compare a colorized film with its colour original: PSNR, SSIM, CIEDE2000, flicker."""
    from memovid.metrics import evaluate

    with session.progress() as progress:
        report = evaluate(output, reference, progress=progress)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    from memovid.ui import out, render_eval

    out.print(render_eval(report))


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=existing)
@click.option("-m", "--model", "model_path", type=existing, required=True, help="The .memo model file to write.")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=None, help="Training budget in minutes.")
@click.option("--steps", type=click.IntRange(1), default=None, help="Training budget in steps (default: from the footage).")
@click.option("--frames-per-scene", type=click.IntRange(1), default=default(TrainConfig, "frames_per_scene"),
              show_default=True, help="Colour frames chosen per scene (the paper's few-shot regime).")
@click.option("--size", type=click.IntRange(64, 2048), default=default(TrainConfig, "size"), show_default=True,
              help="Working size: long side of the frames the model sees, in pixels.")
@click.option("--device", type=click.Choice(DEVICES), default=default(TrainConfig, "device"), show_default=True)
@click.option("--update", is_flag=True, help="Add these inputs to an existing model (old scenes kept).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its checkpoint.")
@click.option("--overwrite", is_flag=True, help="Replace MODEL if it exists.")
@click.option("--seed", type=int, default=default(TrainConfig, "seed"), show_default=True)
@click.option("--scenes", "scenes_file", type=existing, default=None,
              help="Scene JSON of the film keyframes were painted for (places keyframes in scenes).")
@click.option("--backbone-weights", type=existing, default=None,
              help="ImageNet ResNet-18 weights (.pth) for the query network, if you have them.")
@pass_session
def train(session: Session, inputs: tuple[Path, ...], model_path: Path, minutes, steps, frames_per_scene, size,
          device, update, resume, overwrite, seed, scenes_file, backbone_weights) -> None:
    """Learn colour from colour video and/or folders of colour keyframes."""
    from memovid.train import train as run_train

    try:
        config = TrainConfig(size=size, frames_per_scene=frames_per_scene, steps=steps, minutes=minutes,
                             device=device, seed=seed)
    except ValueError as error:
        raise InputError(str(error)) from None
    with session.progress() as progress:
        result = run_train(list(inputs), model_path, config=config, scenes=scenes_file, update=update,
                           resume=resume, overwrite=overwrite, backbone_weights=backbone_weights,
                           progress=progress)
    if not session.quiet:
        from memovid.ui import err

        err.print(f"wrote {result.model}: {result.samples} frames from {result.scenes} scenes, "
                  f"{result.steps} steps in {result.seconds / 60:.1f} min")


@cli.command()
@click.argument("input", type=existing)
@click.option("-m", "--model", "model_path", type=existing, required=True, help="A .memo model from memovid train.")
@click.option("-o", "--output", type=existing, required=True, help="Output file, folder or printf pattern.")
@click.option("--device", type=click.Choice(DEVICES), default=default(ColorizeConfig, "device"), show_default=True)
@click.option("--batch-size", type=click.IntRange(1), default=default(ColorizeConfig, "batch_size"), show_default=True)
@click.option("--size", type=click.IntRange(64, 2048), default=None, help="Working size (default: the model's).")
@click.option("--retrieval", type=click.Choice(["scene", "frame"]), default=default(ColorizeConfig, "retrieval"),
              show_default=True, help="scene: one colour feature voted per scene; frame: the paper's per-frame top-1.")
@click.option("--temporal", type=click.Choice(["flow", "ema", "off"]), default="flow", show_default=True,
              help="Chroma smoothing within shots: motion-compensated, cheap, or none.")
@click.option("--no-guidance", is_flag=True, help="Do not warp same-shot keyframes along the motion.")
@click.option("--upsample", type=click.Choice(["bilinear", "guided"]), default=default(ColorizeConfig, "upsample"),
              show_default=True, help="How the working-size colour reaches full size.")
@click.option("--trust", type=click.Choice(["fitted", "flow"]), default=default(ColorizeConfig, "trust"),
              show_default=True, help="Share of the keyframes' moved colour kept over the generator's guess: "
              "fitted on the film's own keyframes, or the flow's reliability itself.")
@click.option("--no-palette", is_flag=True, help="Shots without keyframes: the generator's colour alone, no "
              "luminance palette from the keyframes most like them.")
@click.option("--scenes", "scenes_file", type=existing, default=None, help="Scene JSON to use instead of detection.")
@click.option("--keyframes", "keyframe_folders", type=existing, multiple=True,
              help="Folder of the model's keyframes painted at full size (repeatable; default: where train read them).")
@click.option("--codec", type=click.Choice(list(CODECS)), default=default(EncodeOptions, "codec"), show_default=True)
@click.option("--crf", type=click.IntRange(0, 51), default=None)
@click.option("--report", "report_path", type=existing, default=None,
              help="Also write an HTML report (scenes, palettes, confidence) to this file.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@pass_session
def colorize(session: Session, input: Path, model_path: Path, output: Path, device, batch_size, size, retrieval,
             temporal, no_guidance, upsample, trust, no_palette, scenes_file, keyframe_folders, codec, crf, report_path,
             overwrite) -> None:
    """Colorize a black-and-white film with a trained model, keeping its sound."""
    from memovid.colorize import colorize as run_colorize
    from memovid.temporal import TemporalConfig

    try:
        config = ColorizeConfig(size=size, batch_size=batch_size, device=device, retrieval=retrieval,
                                guidance=not no_guidance, upsample=upsample, trust=trust,
                                palette=not no_palette)
    except ValueError as error:
        raise InputError(str(error)) from None
    if report_path is not None:
        from memovid.report import check_report_path

        check_report_path(report_path, overwrite)
    with session.progress() as progress:
        result = run_colorize(input, model_path, output, config=config, temporal=TemporalConfig(mode=temporal),
                              encode=EncodeOptions(codec=codec, crf=crf), scenes=scenes_file,
                              keyframes=keyframe_folders, overwrite=overwrite, progress=progress)
        if report_path is not None:
            from memovid.report import write_report

            write_report(result.output, report_path, input=input, model=model_path, analysis=result.analysis,
                         overwrite=overwrite, config=config, progress=progress)
    if not session.quiet:
        from memovid.ui import err, render_scene_reports

        err.print(render_scene_reports(result.scenes))
        err.print(f"wrote {result.output}: {result.frames} frames in {result.seconds:.1f} s ({result.fps:.1f} frames/s)")


@cli.command()
@click.option("-o", "--output", "folder", type=existing, default=Path("memovid-demo"), show_default=True,
              help="Folder for the demo's films, model and figures.")
@click.option("--steps", type=click.IntRange(1), default=None, help="Training steps (default: the demo's).")
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace a previous demo in the folder.")
@pass_session
def demo(session: Session, folder: Path, steps: int | None, device: str, overwrite: bool) -> None:
    """Draw a cartoon, train on a few keyframes, colorize its black-and-white version, compare."""
    from memovid.demo import DEMO_STEPS, run_demo

    with session.progress() as progress:
        result = run_demo(folder, steps=steps or DEMO_STEPS, device=device, overwrite=overwrite, progress=progress)
    from memovid.ui import out

    out.print(f"demo in {result.folder}: {result.scenes} scenes")
    for name in ("bw.mp4", "colour.mp4", "side_by_side.mp4", "report.html", "demo.memo"):
        out.print(f"  {result.files[name]}")
    out.print("  " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.figures.items()))


# Batch commands live in their own module; registered here so that one group maps every error.
from memovid.cli_batch import batch as _batch_command, run as _run_command  # noqa: E402

cli.add_command(_run_command)
cli.add_command(_batch_command)

from memovid.cli_report import report as _report_command, suggest as _suggest_command  # noqa: E402

cli.add_command(_report_command)
cli.add_command(_suggest_command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="memovid")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
