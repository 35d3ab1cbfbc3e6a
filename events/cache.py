"""The user's cache folder: where what is slow to build and safe to lose is kept between runs.

``FOLLOWUP_CACHE_DIR``, else ``$XDG_CACHE_HOME/followup``, else ``~/.cache/followup``.
Whatever is kept there is named by a key of everything it was built from, so a stale entry
is never read, and one that cannot be read or written is built again.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import suppress
from pathlib import Path

__all__ = ["cache_file", "cache_folder", "leave_mark"]


def cache_folder() -> Path | None:
    """The folder, or None when there is no home to keep a cache in."""
    folder = os.environ.get("FOLLOWUP_CACHE_DIR")
    if folder:
        return Path(folder)
    xdg = os.environ.get("XDG_CACHE_HOME")
    try:
        return Path(xdg) / "followup" if xdg else Path.home() / ".cache" / "followup"
    except RuntimeError:  # no home folder to find
        return None


def cache_file(area: str, key: bytes, *, prefix: str, suffix: str = "") -> Path | None:
    """The file in the cache folder's ``area`` named by ``key`` (everything it was built
    from, or everything a check it marks depended on); None without a cache folder."""
    folder = cache_folder()
    if folder is None:
        return None
    return folder / area / f"{prefix}-{hashlib.sha256(key).hexdigest()[:32]}{suffix}"


def leave_mark(mark: Path | None) -> None:
    """Leave an empty file saying a check passed; with a home that cannot be written, the
    check is simply made again next time."""
    if mark is None:
        return
    with suppress(OSError):
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.touch()
