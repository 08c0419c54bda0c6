"""What every command shares: the session the group options decide, exit codes, option helpers.

This is the only place where the MemovidError family becomes exit codes: 0 done, 1 failed at run
time, 2 bad usage or bad input (``MemovidGroup``; ``--debug`` re-raises).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

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
        from memovid.cli.ui import progress_bar

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

existing = click.Path(path_type=Path)  # existence is checked by the library, with memovid's messages
