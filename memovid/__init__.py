"""memovid: colorize black-and-white films and cartoons from a little colour footage.

The library is usable without the CLI; heavy dependencies (torch, faiss, av) load only when the
functions that need them are called, so ``import memovid`` is cheap.
"""

__version__ = "0.1.0"

# memovid.colorize(...), memovid.train(...), memovid.load_pipeline(...), memovid.run_batch(...): loaded on
# first use (memovid.api), so that ``import memovid`` and ``memovid --help`` stay light.
from memovid.api import export as __getattr__, install as _install  # noqa: E402

_install(__name__)
