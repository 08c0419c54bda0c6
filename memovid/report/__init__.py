"""``memovid report``: one HTML page to judge a colorized film scene by scene.

memovid.report.gather measures the films (one streaming pass), memovid.report.html draws the page.
"""

from __future__ import annotations

from pathlib import Path


def write_report(coloured: str | Path, html: str | Path, *, input=None, reference=None, model=None, analysis=None,
                 scenes=None, overwrite: bool = False, config=None, progress=None) -> Path:
    """Gather and draw a report on ``coloured`` into ``html`` (images in ``NAME_files/`` beside it).

    input / reference: the black-and-white film and a colour original; model: a .memo path or
    MemoModel (confidence, flags, the memory's palettes); analysis: colorize's pass-1 result, when
    the caller has it. The HTML file appears only when complete.
    """
    from memovid.paint.config import ColorizeConfig
    from memovid.progress import no_progress
    from memovid.report.gather import gather
    from memovid.report.html import render

    html = Path(html)
    check_report_path(html, overwrite)
    data = gather(coloured, html, input=input, reference=reference, model=model, analysis=analysis,
                  scenes=scenes, config=config or ColorizeConfig(), progress=progress or no_progress)
    return render(data, html)


def check_report_path(html: Path, overwrite: bool) -> None:
    """Refuse a report path before any work, not after an hour of colorizing."""
    from memovid.errors import OutputError

    if html.exists() and not overwrite:
        raise OutputError(f"{html} exists; use --overwrite to replace it")
    if not html.parent.is_dir():
        raise OutputError(f"{html}: folder {html.parent} does not exist")
