"""The log of ``followup daemon`` and ``followup serve``, on standard error.

Three forms, one line per record:

- in a terminal or a file: ``2026-11-29T02:40:00.123Z INFO message``, the time in UTC and
  saying so;
- in systemd's journal (``$JOURNAL_STREAM`` names standard error): ``<6>message``. The
  journal stamps each line itself, and the syslog priority in front lets ``journalctl -p``
  and its colours tell a warning from an info; each line of a traceback carries it too;
- JSON lines (``[log] format = "json"``): time (UTC), level, logger, message and any
  traceback, for a log shipper; in the journal too, behind the same priority.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO

from scheduler.config import LogConfig

__all__ = ["configure", "in_journal", "utc_time"]

#: syslog priorities (RFC 5424), as the journal reads them from a "<N>" prefix.
_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6,
             logging.DEBUG: 7}


def priority(level: int) -> int:
    return next((p for lvl, p in sorted(_PRIORITY.items(), reverse=True) if level >= lvl), 7)


def utc_time(created: float) -> str:
    """A log record's time: ISO 8601 in UTC to the millisecond, ending in Z."""
    moment = datetime.fromtimestamp(created, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def in_journal(stream: IO[str], env: Mapping[str, str]) -> bool:
    """Whether ``stream`` is connected to systemd's journal.

    systemd sets ``JOURNAL_STREAM`` to the device and inode of the connection it gave the
    service; a stream redirected elsewhere (a pipe to a file, in a shell the service runs)
    does not match, and keeps its timestamps.
    """
    expected = env.get("JOURNAL_STREAM", "")
    if not expected:
        return False
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return expected == f"{status.st_dev}:{status.st_ino}"


class _TextFormatter(logging.Formatter):
    def __init__(self, journal: bool) -> None:
        super().__init__("%(message)s")
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if self.journal:
            prefix = f"<{priority(record.levelno)}>"
            return "\n".join(prefix + line for line in text.splitlines())
        return f"{utc_time(record.created)} {record.levelname} {text}"


class _JsonFormatter(logging.Formatter):
    def __init__(self, journal: bool) -> None:
        super().__init__()
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        data = {"time": utc_time(record.created), "level": record.levelname.lower(),
                "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        line = json.dumps(data, ensure_ascii=False)
        return f"<{priority(record.levelno)}>{line}" if self.journal else line


def configure(config: LogConfig, *, stream: IO[str] | None = None,
              env: Mapping[str, str] | None = None) -> None:
    """Send every log record to ``stream`` (standard error) in the configured form."""
    stream = sys.stderr if stream is None else stream
    journal = in_journal(stream, os.environ if env is None else env)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_JsonFormatter(journal) if config.format == "json"
                         else _TextFormatter(journal))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(config.level.upper())
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Re-arming the round job while it runs is expected; APScheduler calls that a skip.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
