"""Writing small outputs (scene lists, EDLs, manifests, suggested frames) without ever leaving half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from memovid.errors import OutputError


def write_text(path: str | Path, text: str, *, overwrite: bool = False) -> None:
    """Write ``text`` to ``path`` atomically (temp file beside it, then rename).

    OutputError when the file exists and overwrite is False, or its folder does not exist.
    """
    write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def write_bytes(path: str | Path, data: bytes, *, overwrite: bool = False) -> None:
    """``write_text`` for bytes (an encoded image, say): same atomicity, same errors."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputError(f"{path} exists; use --overwrite to replace it")
    if not path.parent.is_dir():
        raise OutputError(f"{path}: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
