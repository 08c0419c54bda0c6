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


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="memovid")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
