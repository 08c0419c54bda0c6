"""memovid: colorize black-and-white films and cartoons from a little colour footage.

The library is usable without the CLI; heavy dependencies (torch, faiss, av) load only when the
functions that need them are called, so ``import memovid`` is cheap.
"""

__version__ = "0.1.0"
