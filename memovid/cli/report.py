"""``memovid eval``, ``report`` and ``suggest``: measure the result, look at it, and ask for the frames
to paint next. They only parse: the work is memovid.report (metrics, the HTML page, suggest).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from memovid.cli.common import Session, default, existing, pass_session
from memovid.device import DEVICES
from memovid.paint.config import ColorizeConfig
from memovid.report import write_report


@click.command("eval")
@click.argument("output", type=existing)
@click.argument("reference", type=existing)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with per-frame figures).")
@pass_session
def eval_command(session: Session, output: Path, reference: Path, as_json: bool) -> None:
    """Compare a colorized film with its colour original: PSNR, SSIM, CIEDE2000, flicker."""
    from memovid.report.metrics import evaluate

    with session.progress() as progress:
        report = evaluate(output, reference, progress=progress)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    from memovid.cli.ui import out, render_eval

    out.print(render_eval(report))


@click.command()
@click.argument("coloured", type=existing)
@click.option("-o", "--output", type=existing, required=True, help="The HTML file (images go beside it in NAME_files/).")
@click.option("--input", "bw", type=existing, default=None, help="The black-and-white film that was colorized.")
@click.option("--reference", type=existing, default=None, help="A colour original to measure against.")
@click.option("-m", "--model", "model_path", type=existing, default=None,
              help="The .memo model: adds retrieval confidence, 'needs a keyframe' flags and the memory's palettes.")
@click.option("--scenes", "scenes_file", type=existing, default=None, help="Scene JSON to use instead of detection.")
@click.option("--device", type=click.Choice(DEVICES), default=default(ColorizeConfig, "device"), show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace the report if it exists.")
@pass_session
def report(session: Session, coloured: Path, output: Path, bw, reference, model_path, scenes_file, device,
           overwrite) -> None:
    """One HTML page to judge a colorized film scene by scene."""
    from memovid.video import check_paths

    for path in (bw, reference):
        if path is not None:
            check_paths(path, output, overwrite=True)
    check_paths(coloured, output, overwrite)
    with session.progress() as progress:
        html = write_report(coloured, output, input=bw, reference=reference, model=model_path, scenes=scenes_file,
                            overwrite=overwrite, config=ColorizeConfig(device=device), progress=progress)
    if not session.quiet:
        from memovid.cli.ui import err

        err.print(f"wrote {html}")


@click.command()
@click.argument("input", type=existing)
@click.option("-m", "--model", "model_path", type=existing, required=True, help="A .memo model from memovid train.")
@click.option("-o", "--output", type=existing, required=True, help="Folder for the frames to paint (PNG).")
@click.option("--per-scene", type=click.IntRange(1), default=1, show_default=True, help="Frames per chosen scene.")
@click.option("--count", type=click.IntRange(1), default=None,
              help="The N least confident scenes (default: every scene flagged 'needs a keyframe').")
@click.option("--scenes", "scenes_file", type=existing, default=None, help="Scene JSON to use instead of detection.")
@click.option("--device", type=click.Choice(DEVICES), default=default(ColorizeConfig, "device"), show_default=True)
@click.option("--overwrite", is_flag=True, help="Write into a folder that already holds images.")
@pass_session
def suggest(session: Session, input: Path, model_path: Path, output: Path, per_scene: int, count, scenes_file,
            device, overwrite) -> None:
    """Write the frames a colourist should paint next, named by frame number for `train --update`."""
    from memovid.report.suggest import suggest as run_suggest
    from memovid.video import check_paths

    check_paths(input, output, overwrite=True)
    with session.progress() as progress:
        found = run_suggest(input, model_path, output, per_scene=per_scene, count=count, scenes=scenes_file,
                            config=ColorizeConfig(device=device), overwrite=overwrite, progress=progress)
    from memovid.cli.ui import out

    if not found:
        out.print("no scene needs a keyframe (use --count N for the N least confident anyway)")
    for s in found:
        out.print(f"{output / s.path}  scene {s.scene}  {s.time:.2f} s  confidence {s.confidence:.2f}")
    if found and not session.quiet:
        from memovid.cli.ui import err

        err.print(f"paint them, then: memovid train --update {output} -m {model_path}")
