"""Who can reach the feed addresses ``followup feeds`` lists, said when it is not everyone.

Calendar services such as Google Calendar and Outlook fetch a subscribed feed from their own
servers, so an address on this machine's loopback (or a private network, or the
listen-anywhere 0.0.0.0) works in a calendar program here and nowhere else, silently.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

if TYPE_CHECKING:
    from scheduler.config import FeedsConfig

__all__ = ["reach_note", "say_who_can_reach"]

_FIX = ("Google Calendar and Outlook cannot fetch them: serve the feeds where they can and "
        "set [feeds] base_url to that address in config.toml")


def reach_note(config: FeedsConfig) -> str | None:
    """One line saying who cannot reach the feed addresses, and how to fix it; None when
    nothing says they are out of reach."""
    host = (urlsplit(config.base_url).hostname or "") if config.base_url else config.host
    where = f"base_url {config.base_url}" if config.base_url else \
        f"feeds.host {config.host}, no base_url"
    if host == "localhost" or host.endswith(".localhost"):
        return f"these addresses reach only this machine ({where}); {_FIX}"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: others may well resolve it
    if address.is_unspecified:
        return f"{host} means every address of this machine, not one to subscribe to " \
               f"({where}); {_FIX}"
    if address.is_loopback:
        return f"these addresses reach only this machine ({where}); {_FIX}"
    if address.is_private or address.is_link_local:
        return f"these addresses reach only this network ({where}); {_FIX}"
    return None


def say_who_can_reach(config: FeedsConfig) -> None:
    """The note on standard error, one line, when there is one; never on standard output,
    which ``--json`` keeps for the listing."""
    note = reach_note(config)
    if note:
        click.echo(f"note: {note}", err=True)
