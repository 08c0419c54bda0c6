"""Progress reporting that the library can call without knowing about rich or a terminal.

A library function that takes a while accepts ``progress: ProgressFn | None``; it calls
``progress(description, completed, total)`` as work advances (total None when unknown). The CLI
passes a rich progress bar; scripts pass nothing or their own callable.
"""

from __future__ import annotations

from typing import Callable, Optional

ProgressFn = Callable[[str, int, Optional[int]], None]


def no_progress(description: str, completed: int, total: int | None) -> None:
    """The default: say nothing."""
