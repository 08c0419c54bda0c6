"""Terminal presentation for the CLI: one rich console, progress bars, warnings. The library never imports this."""

from __future__ import annotations

import contextlib
import logging
from typing import Iterator

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from memovid.progress import ProgressFn, no_progress

# Results go to stdout (pipeable: --json, csv); progress, warnings and errors go to stderr.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def setup_logging(quiet: bool, debug: bool) -> None:
    """Show the library's warnings as one line each on stderr ('warning: ...')."""
    log = logging.getLogger("memovid")
    log.handlers.clear()
    log.propagate = False
    level = logging.DEBUG if debug else (logging.ERROR if quiet else logging.WARNING)
    log.setLevel(level)
    handler = RichHandler(console=err, show_time=False, show_path=debug, markup=False,
                          rich_tracebacks=debug)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)


class _Rate(TextColumn):
    """frames/s of a task, from rich's own speed estimate."""

    def __init__(self) -> None:
        super().__init__("")

    def render(self, task):  # noqa: D102 - rich hook
        speed = task.finished_speed or task.speed
        return f"{speed:6.1f} {task.fields.get('unit', 'frames')}/s" if speed else ""


@contextlib.contextmanager
def progress_bar(quiet: bool) -> Iterator[ProgressFn]:
    """A ProgressFn that draws one rich bar per description, with rate and ETA; silent when quiet."""
    if quiet:
        yield no_progress
        return
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), _Rate(),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())
    tasks: dict[str, TaskID] = {}
    # transient: the bars vanish when done, so only results and the summary remain on screen.
    with Progress(*columns, console=err, transient=True, refresh_per_second=4) as bar:
        def report(description: str, completed: int, total: int | None) -> None:
            if description not in tasks:
                tasks[description] = bar.add_task(description, total=total)
            bar.update(tasks[description], completed=completed, total=total)

        yield report


def render_info(media: dict):
    """A two-column rich table of a probe result (nested lists, such as audio streams, one row each)."""
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in media.items():
        if isinstance(value, list):
            for i, item in enumerate(value):
                text = ", ".join(f"{k} {v}" for k, v in item.items()) if isinstance(item, dict) else str(item)
                table.add_row(f"{key} #{i}", text)
            if not value:
                table.add_row(key, "none")
        else:
            table.add_row(key, "?" if value is None else str(value))
    return table


def _table(columns: list[str], rows: list[list[str]], title: str | None = None):
    from rich.table import Table

    table = Table(title=title, header_style="bold")
    for column in columns:
        table.add_column(column, justify="right" if column not in ("kind", "flag", "transition") else "left")
    for row in rows:
        table.add_row(*row)
    return table


def render_scenes(table):
    """Shots of a SceneTable with their scene, timecodes and the transition that opens them."""
    rows = table.rows()
    columns = list(rows[0]) if rows else ["shot"]
    return _table(columns, [list(r.values()) for r in rows],
                  title=f"{len(table.shots)} shots, {len(table.scenes)} scenes, {table.frames} frames")


def render_eval(report):
    """Mean figures of an EvalReport."""
    data = report.to_dict()
    keys = [k for k in ("frames", "psnr", "ssim", "ciede2000", "flicker") if k in data]
    return _table(keys, [[f"{data[k]:.4g}" if isinstance(data[k], float) else str(data[k]) for k in keys]])


def render_scene_reports(reports):
    """Colorize's per-scene summary: which memory scene painted it and how sure the memory was."""
    rows = [[str(r.scene), str(r.start), str(r.end), "-" if r.memory_scene is None else str(r.memory_scene),
             f"{r.confidence:.2f}", f"{r.support:.2f}", str(r.keyframes),
             "needs a keyframe" if r.needs_keyframe else ""] for r in reports]
    return _table(["scene", "start", "end", "memory scene", "confidence", "support", "keyframes", "flag"], rows)
