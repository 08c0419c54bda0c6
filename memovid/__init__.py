"""memovid: colorize black-and-white films and cartoons from a little colour footage.

The library is usable without the CLI; heavy dependencies (torch, faiss, av) load only when the
functions that need them are called, so ``import memovid`` is cheap.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    """memovid.colorize(...), memovid.train(...), memovid.load_pipeline(...), memovid.run_batch(...): loaded
    on first use (memovid.api), so that ``import memovid`` and ``memovid --help`` stay light. No submodule
    is named like them (paint/, training/), so none can hide them."""
    from memovid.api import export

    return export(name)
