"""``memovid demo``: the whole main job on a cartoon memovid draws itself."""

from __future__ import annotations

from pathlib import Path

import click

from memovid.cli.common import Session, existing, pass_session
from memovid.device import DEVICES


@click.command()
@click.option("-o", "--output", "folder", type=existing, default=Path("memovid-demo"), show_default=True,
              help="Folder for the demo's films, model and figures.")
@click.option("--steps", type=click.IntRange(1), default=None, help="Training steps (default: the demo's).")
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace a previous demo in the folder.")
@pass_session
def demo(session: Session, folder: Path, steps: int | None, device: str, overwrite: bool) -> None:
    """Draw a cartoon, train on a few keyframes, colorize its black-and-white version, compare."""
    from memovid.demo.run import DEMO_STEPS, run_demo

    with session.progress() as progress:
        result = run_demo(folder, steps=steps or DEMO_STEPS, device=device, overwrite=overwrite, progress=progress)
    from memovid.cli.ui import out

    out.print(f"demo in {result.folder}: {result.scenes} scenes")
    for name in ("bw.mp4", "colour.mp4", "side_by_side.mp4", "report.html", "demo.memo"):
        out.print(f"  {result.files[name]}")
    out.print("  " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.figures.items()))
    out.print("next, on your own film: memovid train colour_film.mp4 (writes colour_film.memo), "
              "then memovid colorize bw_film.mp4 (writes bw_film_colour.mp4)")
