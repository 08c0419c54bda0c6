"""memovid's logger. Library code logs warnings here; the CLI decides how they are shown."""

import logging

logger = logging.getLogger("memovid")


def warn_once(key: str, message: str, *args: object) -> None:
    """Log a warning only the first time ``key`` is seen in this process (e.g. 'no ImageNet weights')."""
    if key in _seen:
        return
    _seen.add(key)
    logger.warning(message, *args)


_seen: set[str] = set()
