"""Editor addresses: a second secret per audience, for those who may act from the page.

The feed address (and the page beside it) lets its holder read; the editor address lets its
holder confirm, move, finish, cancel, snooze and annotate the audience's follow-ups. They are
separate secrets, so the calendar address can be handed round a team while the editor
address stays with the few who keep the register, and either can be rotated alone.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from events.model import EditorToken
from scheduler.feeds import FeedService

#: What a token is compared with when the audience has none, as long as a real one, so the
#: comparison takes the time a real one would.
_NO_TOKEN = secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Editor:
    """What a page needs to offer its forms: where they post, the token they carry, the
    line to show after an action (``said``), and after one refused, what was typed into its
    form (``action``, ``typed``), to fill it in again."""

    audience: str
    #: The editor address of the audience, a path on this server without a trailing slash.
    base: str
    form_token: str
    said: str | None = None
    action: str | None = None
    typed: Mapping[str, str] = field(default_factory=dict)


def _new(name: str) -> EditorToken:
    return EditorToken(audience=name, token=secrets.token_urlsafe(24),
                       form_token=secrets.token_urlsafe(24), created_at=datetime.now(UTC))


class EditorTokens:
    """The editor secrets of every audience, over the feed service's store and audiences."""

    def __init__(self, service: FeedService) -> None:
        self.service = service

    def tokens(self) -> dict[str, str]:
        """Each audience's editor token, made on first use."""
        with self.service.store.transaction(write=True) as session:
            held = {t.audience: t.token for t in session.scalars(select(EditorToken))}
            for name in self.service.audiences():
                if name not in held:
                    made = _new(name)
                    session.add(made)
                    held[name] = made.token
        return {name: held[name] for name in self.service.audiences()}

    def rotate(self, name: str) -> str:
        """A new editor address for ``name``; the old one, and every form it gave out, stop
        working."""
        self.service.check_audience(name)
        made = _new(name)
        with self.service.store.transaction(write=True) as session:
            session.merge(made)
        return made.token

    def editor(self, name: str, token: str) -> Editor | None:
        """The editor ``token`` opens for ``name``, or None; the same work whether the
        audience exists or not: one read of its token, one comparison in constant time."""
        with self.service.store.transaction(write=False) as session:
            held = session.get(EditorToken, name)
            expected = held.token if held is not None else _NO_TOKEN
            form_token = held.form_token if held is not None else ""
        right = hmac.compare_digest(expected.encode(), token.encode())
        # A row left by an audience since removed from the configuration opens nothing.
        if not right or held is None or name not in self.service.audiences():
            return None
        return Editor(audience=name, base=f"/edit/{token}/{name}", form_token=form_token)

    def url(self, name: str, token: str) -> str:
        return f"{self.service.config.feeds.url}/edit/{token}/{name}/"
