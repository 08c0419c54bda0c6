"""``memovid run`` and ``memovid batch``: a preset over a shelf of films.

They only parse: the work is memovid.batch.run.run_batch with a memovid.api.Pipeline. Exit 1 when any
film failed (after the summary table), 2 when the preset, an override or an argument is refused.
"""

from __future__ import annotations

import click

from memovid.cli.common import Session, existing, pass_session
from memovid.errors import RunError

EXECUTOR_CHOICES = ("local", "ray")


def _options(command):
    """Options that ``run`` and ``batch`` share (outermost decorator last)."""
    for option in reversed([
        click.option("-m", "--model", "model", type=existing, default=None,
                     help="A .memo model from memovid train (default: <name>.memo beside the first input, "
                     "else the only .memo in its folder or in this one)."),
        click.option("-o", "--output", "outdir", type=existing, required=True,
                     help="Folder for the colorized films and the manifest (memovid-batch.jsonl)."),
        click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
                     help="Override a preset value, e.g. --set colorize.size=128 (repeatable)."),
        click.option("-j", "--jobs", type=click.IntRange(1), default=1, show_default=True,
                     help="Films (or scene segments on Ray) colorized at once."),
        click.option("--executor", type=click.Choice(EXECUTOR_CHOICES), default="local", show_default=True,
                     help="local: this machine's processes; ray: a Ray cluster (films and scene segments)."),
        click.option("--address", default=None, help="Ray cluster to join (default: start a local one)."),
    ]):
        command = option(command)
    return command


@click.command("run")
@click.argument("preset")
@click.argument("inputs", nargs=-1, required=True, type=existing)
@_options
@pass_session
def run(session: Session, preset: str, inputs, model, outdir, overrides, jobs, executor, address) -> None:
    """Colorize films with a preset (pipelines/PRESET.toml or a .toml file): resumable, one bad file never stops it."""
    _batch(session, preset, inputs, model, outdir, overrides, jobs, executor, address)


@click.command("batch")
@click.argument("inputs", nargs=-1, required=True, type=existing)
@_options
@click.option("--preset", default=None, help="Preset name or .toml file (default: the library defaults).")
@pass_session
def batch(session: Session, inputs, model, outdir, overrides, jobs, executor, address, preset) -> None:
    """Colorize many films into a folder; re-running resumes and skips the finished ones (checked)."""
    _batch(session, preset, inputs, model, outdir, overrides, jobs, executor, address)


def _batch(session: Session, preset, inputs, model, outdir, overrides, jobs, executor, address) -> None:
    from memovid.api import load_pipeline
    from memovid.batch.run import run_batch

    pipeline = load_pipeline(preset, overrides)
    if model is None and inputs:
        from memovid.default_paths import find_model

        model = find_model(inputs[0])
        if not session.quiet:
            from memovid.cli.ui import err

            err.print(f"using model {model}", soft_wrap=True)
    with session.progress() as progress:
        result = run_batch(list(inputs), model, outdir, pipeline=pipeline, jobs=jobs, executor=executor,
                           address=address, progress=progress)
    from memovid.cli.ui import out

    out.print(render_batch(result))
    if result.exit_code:
        raise RunError(f"{len(result.failed)} of {len(result.results)} films failed; reasons in {result.manifest}")


def render_batch(result):
    """The summary table of a BatchResult."""
    from rich.table import Table

    rows = result.rows()
    counts = {status: len(result.with_status(status)) for status in ("done", "skipped", "failed")}
    title = (f"{counts['done']} done, {counts['skipped']} already complete, {counts['failed']} failed; "
             f"{result.frames} frames in {result.seconds:.1f} s ({result.executor}, {result.workers} worker(s))")
    table = Table(title=title, header_style="bold")
    for column in (rows[0] if rows else {"input": ""}):
        table.add_column(column, justify="right" if column in ("frames", "seconds", "frames/s") else "left",
                         overflow="fold")
    for row in rows:
        style = {"failed": "red", "skipped": "dim"}.get(row["status"])
        table.add_row(*row.values(), style=style)
    return table
