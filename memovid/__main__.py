"""``python -m memovid`` is the same as the ``memovid`` command."""

from memovid.cli import main

main()
