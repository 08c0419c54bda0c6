"""``memovid colorize``: paint a black-and-white film with a trained model (and its report)."""

from __future__ import annotations

from pathlib import Path

import click

from memovid.cli.common import Session, default, existing, pass_session
from memovid.device import DEVICES
from memovid.errors import InputError
from memovid.paint.config import SEMANTIC_MODES, ColorizeConfig
from memovid.video.options import CODECS, EncodeOptions


@click.command()
@click.argument("input", type=existing)
@click.option("-m", "--model", "model_path", type=existing, default=None,
              help="A .memo model from memovid train (default: <name>.memo beside INPUT, else the only .memo "
              "in INPUT's folder or in this one).")
@click.option("-o", "--output", type=existing, default=None,
              help="Output file, folder or printf pattern (default: <name>_colour<codec's extension> beside INPUT).")
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
@click.option("--semantic", type=click.Choice(list(SEMANTIC_MODES)), default=default(ColorizeConfig, "semantic"),
              show_default=True, help="Frames no keyframe of their shot reaches: the patch memory's colour mixed with "
              "the luminance palette (each hedged toward gray where it held up poorly on left-out keyframes), the "
              "patch memory's alone, the generator guided by it, or the generator and palette as before (off).")
@click.option("--deinterlace", is_flag=True,
              help="Weave interlaced fields (DV, DVD, broadcast tape) with FFmpeg's bwdif first.")
@click.option("--scenes", "scenes_file", type=existing, default=None, help="Scene JSON to use instead of detection.")
@click.option("--keyframes", "keyframe_folders", type=existing, multiple=True,
              help="Folder of the model's keyframes painted at full size (repeatable; default: where train read them).")
@click.option("--codec", type=click.Choice(list(CODECS)), default=default(EncodeOptions, "codec"), show_default=True)
@click.option("--crf", type=click.IntRange(0, 51), default=None)
@click.option("--report", "report_path", type=existing, default=None,
              help="Also write an HTML report (scenes, palettes, confidence) to this file.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@pass_session
def colorize(session: Session, input: Path, model_path: Path | None, output: Path | None, device, batch_size, size, retrieval,
             temporal, no_guidance, upsample, trust, no_palette, semantic, deinterlace, scenes_file, keyframe_folders, codec, crf, report_path,
             overwrite) -> None:
    """Colorize a black-and-white film with a trained model, keeping its sound."""
    from memovid.default_paths import colorize_paths
    from memovid.paint.colorize import colorize as run_colorize
    from memovid.temporal import TemporalConfig

    try:
        config = ColorizeConfig(size=size, batch_size=batch_size, device=device, retrieval=retrieval,
                                guidance=not no_guidance, upsample=upsample, trust=trust,
                                palette=not no_palette, semantic=semantic, deinterlace=deinterlace)
    except ValueError as error:
        raise InputError(str(error)) from None
    encode = EncodeOptions(codec=codec, crf=crf)
    chosen = model_path is None
    model_path, output = colorize_paths(input, model_path, output, encode)
    if chosen and not session.quiet:
        from memovid.cli.ui import err

        err.print(f"using model {model_path}", soft_wrap=True)
    if report_path is not None:
        from memovid.report import check_report_path

        check_report_path(report_path, overwrite)
    with session.progress() as progress:
        result = run_colorize(input, model_path, output, config=config, temporal=TemporalConfig(mode=temporal),
                              encode=encode, scenes=scenes_file,
                              keyframes=keyframe_folders, overwrite=overwrite, progress=progress)
        if report_path is not None:
            from memovid.report import write_report

            write_report(result.output, report_path, input=input, model=model_path, analysis=result.analysis,
                         overwrite=overwrite, config=config, progress=progress)
    if not session.quiet:
        from memovid.cli.ui import err, render_scene_reports

        err.print(render_scene_reports(result.scenes))
        err.print(f"wrote {result.output}: {result.frames} frames in {result.seconds:.1f} s ({result.fps:.1f} frames/s)")
