"""One family of errors. Only ``memovid.cli.common`` turns them into exit codes and messages.

Raise the most specific subclass with a message that names the file and says what is wrong in one
line; the CLI prints exactly that line (no traceback unless ``--debug``).
"""


class MemovidError(Exception):
    """Base of every error memovid raises on purpose."""


class InputError(MemovidError):
    """The user's input cannot be used: missing file, not media, no video stream, bad option value."""


class OutputError(MemovidError):
    """The output cannot be written as asked: it exists (no --overwrite), or it is the input itself."""


class ModelFileError(MemovidError):
    """A .memo model file is missing, truncated, foreign, from an unknown version or lacks tensors."""


class DependencyError(MemovidError):
    """An optional capability was asked for but is not installed here (CUDA, faiss-gpu, Ray)."""


class RunError(MemovidError):
    """Something failed while running on valid input (encoder failure, out of memory...)."""
