"""The ``memovid`` command line. It parses options, calls one library function and shows the result.

Everything in memovid.cli is presentation: the work lives in the library (``import memovid``). Each
command family is a module of its own; this one makes the group (its ``--quiet``/``--debug`` and the
error mapping of memovid.cli.common) and registers them. Heavy modules (torch, faiss, av) are imported
inside the commands so that ``--help`` is fast.
"""

from __future__ import annotations

import sys

import click

from memovid import __version__
from memovid.cli.batch import batch, run
from memovid.cli.colorize import colorize
from memovid.cli.common import MemovidGroup, Session
from memovid.cli.demo import demo
from memovid.cli.media import info, scenes, transcode
from memovid.cli.report import eval_command, report, suggest
from memovid.cli.train import train


@click.group(cls=MemovidGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="memovid")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or warnings; errors only.")
@click.option("--debug", is_flag=True, help="Show full tracebacks and debug logging.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, debug: bool) -> None:
    """Colorize black-and-white films and cartoons from a little colour footage (MemoPainter)."""
    from memovid.cli.ui import setup_logging

    ctx.obj = Session(quiet=quiet, debug=debug)
    setup_logging(quiet, debug)


for command in (info, transcode, scenes, eval_command, train, colorize, report, suggest, demo, run, batch):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="memovid")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
