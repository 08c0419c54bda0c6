"""The ``memovid`` command line: one module per command family (memovid.cli.group registers them)."""

from memovid.cli.group import cli, main

__all__ = ["cli", "main"]
