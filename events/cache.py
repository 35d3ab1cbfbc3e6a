"""The user's cache folder: where what is slow to build and safe to lose is kept between runs.

``FOLLOWUP_CACHE_DIR``, else ``$XDG_CACHE_HOME/followup``, else ``~/.cache/followup``.
Whatever is kept there is named by a key of everything it was built from, so a stale entry
is never read, and one that cannot be read or written is built again.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_folder"]


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
