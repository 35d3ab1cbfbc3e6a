"""Calendar feeds: each audience's feed made from the register, and kept up to date cheaply.

Each request reads the register's version, one number that moves with any change to the
follow-ups: while it stands, the body made at it is the answer. When it has moved, the
follow-ups' versions are read and only the events of those that changed are taken again:
kept in the database by whichever process rendered them, else rendered and kept. The gzip
form is made when first asked for and kept beside the plain one. The feeds' secret
addresses are here too; ``scheduler/feed_server.py`` serves them over HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from sqlalchemy import select

from events.errors import FollowupError, StoreError
from events.feed import (
    Entry,
    FeedEntries,
    FeedSettings,
    Version,
    calendar_parts,
    event_block,
    shape_of,
    version_of,
)
from events.feed_store import FeedStore, register_version, token_of
from events.model import FeedToken, Kind
from events.store import Store
from scheduler.config import ALL_AUDIENCES, Config
from scheduler.gzipped import Compressor

log = logging.getLogger("followup.feeds")


class UnknownAudience(FollowupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no audience {name!r}: use one of {', '.join(known)}")


#: What a token is compared with when the audience has none, as long as a real one, so the
#: comparison takes the time a real one would.
_NO_TOKEN = secrets.token_urlsafe(24)

_SECOND = timedelta(seconds=1)

_BLOCK, _CHANGED, _KEY = attrgetter("block"), attrgetter("changed"), attrgetter("key")

#: Events a streamed feed holds at once.
_STREAM_BATCH = 500

#: Past this share of the register changed at once, reading every revision is cheaper than
#: asking for the changed ones in batches.
_FEW_CHANGED = 0.25


def _whole_second(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(microsecond=0)


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class FeedBody:
    #: The register version it was made at: while that has not moved, neither has the body.
    stamp: int
    etag: str
    body: bytes
    #: A whole second, later than any Last-Modified sent for other bytes before it was
    #: made; sent as Last-Modified itself once the clock has reached it.
    last_modified: datetime
    #: The entries it holds, for its gzip form to be made from when asked.
    entries: tuple[Entry, ...] = field(repr=False, compare=False)


class FeedService:
    def __init__(self, store: Store, config: Config,
                 clock: Callable[[], datetime] = wall_clock) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.settings: FeedSettings = config.feeds.settings
        self.shape = shape_of(self.settings)
        self.entries = FeedEntries()
        self._bodies: dict[str, FeedBody] = {}
        self._gzipped: dict[str, tuple[FeedBody, bytes]] = {}
        self._compressors: dict[str, Compressor] = {}
        self._lock = threading.Lock()
        # Held while the entries are brought up to date and read: one thread does it.
        self._refreshing = threading.Lock()
        # Held while a gzip form is made: requests for the plain body never wait for it.
        self._zipping = threading.Lock()
        # Whatever an earlier process sent as Last-Modified was no later than now. Counted as
        # sent by this one, it puts every date this process sends after it.
        self._started = _whole_second(clock())
        #: The latest Last-Modified sent for each audience.
        self._sent: dict[str, datetime] = {}
        self._chosen_by: dict[tuple[Kind, tuple[str, ...]], frozenset[str]] = {}

    def audiences(self) -> list[str]:
        return [a.name for a in self.config.plan.audiences] + [ALL_AUDIENCES]

    def check_audience(self, name: str) -> None:
        if name not in self.audiences():
            raise UnknownAudience(name, self.audiences())

    def render(self, name: str) -> FeedBody:
        """The feed for an audience (or "all"), rendering only what changed since last time.

        While the register's version has not moved, the body made at that version is the
        answer, and no follow-up is read. When it has, only the follow-ups' versions are
        read; blocks of those that changed are taken from the database when kept there,
        else rendered and kept, so that a new process need not render them again.

        Its Last-Modified is the latest change among the follow-ups it holds, but always at
        least a second after the last one sent for the audience: a selection that shrinks, a
        change made on a machine whose clock is behind, or two changes within one second
        (HTTP dates have no finer unit) would otherwise date new bytes no later than old
        ones, and a client asking If-Modified-Since would be told nothing changed. A change
        dated ahead of this clock counts as now, so the date is at most a second ahead of the
        clock; it is not sent until the clock gets there (:meth:`modified_for`).
        """
        self.check_audience(name)
        with self.store.connection(write=False) as connection:
            version = register_version(connection)
        with self._lock:
            cached = self._bodies.get(name)
        if cached is not None and cached.stamp == version:
            return cached  # nothing changed anywhere: no need to look closer
        rendered: list[tuple[str, Version, bytes]] = []
        with self.store.transaction(write=False) as session:
            reads = FeedStore(session, self.shape)
            version = reads.version()
            with self._lock:
                cached = self._bodies.get(name)
            if cached is not None and cached.stamp == version:
                return cached  # nothing changed anywhere: no need to look closer
            with self._refreshing:
                if self.entries.version != version:
                    rendered = self._bring_up_to_date(reads, self.entries.version)
                    self.entries.version = version
                chosen = self.entries.chosen(None if name == ALL_AUDIENCES else name)
        if rendered:
            self._keep(rendered)
        etag = self._etag(name, chosen)
        if cached is not None and cached.etag == etag:
            cached = replace(cached, stamp=version)
            with self._lock:
                self._bodies[name] = cached
            return cached
        header, footer = calendar_parts(self.settings, name)
        # map and attrgetter: a feed of 10,000 events is joined without a Python frame each
        body = b"".join([header, *map(_BLOCK, chosen), footer])
        changed = max(map(_CHANGED, chosen), default=None)
        with self._lock:
            # Read again under the lock: another thread may have stored these same bytes
            # meanwhile (their date stands), or sent a date this body must come after.
            previous = self._bodies.get(name)
            if previous is not None and previous.etag == etag:
                made = replace(previous, stamp=version)
            else:
                sent = self._sent.get(name, self._started)
                now = _whole_second(self.clock())
                latest = sent if changed is None else min(_whole_second(changed), now)
                made = FeedBody(version, etag, body, max(latest, sent + _SECOND),
                                tuple(chosen))
            self._bodies[name] = made
        return made

    def stream(self, name: str) -> Iterator[bytes]:
        """The bytes :meth:`render` makes, a piece at a time, holding one batch of events
        at a time rather than the whole feed: what ``followup export`` writes, so that a
        register of any size is exported in bounded memory. Events not kept are rendered
        and kept, a batch at a time."""
        self.check_audience(name)
        header, footer = calendar_parts(self.settings, name)
        yield header
        with self.store.transaction(write=False) as session:
            reads = FeedStore(session, self.shape)
            order = [row[0] for row in reads.versions()]
            for start in range(0, len(order), _STREAM_BATCH):
                batch = order[start:start + _STREAM_BATCH]
                rows = {row.id: row for row in reads.rows(batch)}
                made = {f.id: f for f in reads.followups(
                    [i for i, row in rows.items() if row.block is None])}
                rendered = []
                for followup_id in batch:
                    row = rows.get(followup_id)
                    if row is None:
                        continue  # removed since the order was read
                    block = row.block
                    if block is None:
                        followup = made[followup_id]
                        block = event_block(followup, self.settings)
                        rendered.append((followup_id, version_of(followup), block))
                    if name == ALL_AUDIENCES or name in self._audiences_of(row.kind, row.tags):
                        yield block
                if rendered:
                    self._keep(rendered)
        yield footer

    def gzipped(self, name: str, rendered: FeedBody) -> bytes:
        """``rendered``'s body as gzip, made once per body and kept beside it; only the runs
        of events that changed since the audience's last one are compressed again."""
        with self._zipping:
            kept = self._gzipped.get(name)
            if kept is not None and kept[0].etag == rendered.etag:
                return kept[1]
            header, footer = calendar_parts(self.settings, name)
            pieces = [(header, header), *((e.key, e.block) for e in rendered.entries),
                      (footer, footer)]
            compressor = self._compressors.setdefault(name, Compressor())
            zipped = compressor.gzip(pieces, rendered.body)
            self._gzipped[name] = (rendered, zipped)
            return zipped

    def _bring_up_to_date(self, reads: FeedStore,
                          seen: int | None) -> list[tuple[str, Version, bytes]]:
        """Replace the entries of follow-ups that changed since register version ``seen``
        (None: read them all); return the blocks rendered."""
        changed = None if seen is None else reads.changed_after(seen)
        if changed is not None and len(changed) <= _FEW_CHANGED * max(len(self.entries), 1):
            stale = self.entries.restale(reads.versions_of(changed), changed)
            everything = False
        else:
            versions = reads.versions()
            stale = self.entries.stale(versions)
            everything = len(stale) == len(versions)
        if not stale:
            return []
        missing = []
        for row in reads.rows(None if everything else stale):
            if row.block is None:
                missing.append(row.id)
            else:
                self.entries.put(Entry(row.id, row.version, row.block, row.changed,
                                       self._audiences_of(row.kind, row.tags)))
        rendered = []
        for followup in reads.followups(missing):
            version = version_of(followup)
            block = event_block(followup, self.settings)
            self.entries.put(Entry(followup.id, version, block, followup.updated_at,
                                   self._audiences_of(followup.kind, followup.tags)))
            rendered.append((followup.id, version, block))
        return rendered

    def _audiences_of(self, kind: Kind, tags: Sequence[str]) -> frozenset[str]:
        # A register has a few kinds and tag lists, each asked about thousands of times.
        key = (kind, tuple(tags))
        try:
            return self._chosen_by[key]
        except KeyError:
            chosen = self._chosen_by[key] = frozenset(
                a.name for a in self.config.plan.audiences if a.chooses(kind, tags))
            return chosen

    def _keep(self, rendered: list[tuple[str, Version, bytes]]) -> None:
        """Keep rendered blocks for the next process; a feed is served without them."""
        try:
            with self.store.transaction(write=True) as session:
                FeedStore(session, self.shape).keep(rendered)
        except StoreError as error:
            log.warning("%d rendered events not kept for the next start: %s", len(rendered),
                        error)

    def modified_for(self, name: str, rendered: FeedBody, now: datetime) -> datetime | None:
        """The Last-Modified to send with ``rendered`` at ``now``, if any.

        None while it would be later than the response's Date, and for a body already
        replaced by a newer one, whose date the newer one may share (it need only be later
        than what was sent).
        """
        with self._lock:
            current = self._bodies.get(name)
            if (current is None or (current.etag, current.last_modified) != (
                    rendered.etag, rendered.last_modified) or rendered.last_modified > now):
                return None
            self._sent[name] = max(self._sent.get(name, self._started), rendered.last_modified)
            return rendered.last_modified

    def _etag(self, name: str, chosen: list[Entry]) -> str:
        named = repr((self.settings, name)).encode()
        return hashlib.sha256(named + b"".join(map(_KEY, chosen))).hexdigest()[:32]

    # -- tokens ------------------------------------------------------------------------

    def tokens(self) -> dict[str, str]:
        """Each audience's token, made on first use."""
        now = datetime.now(UTC)
        with self.store.transaction(write=True) as session:
            held = {t.audience: t.token for t in session.scalars(select(FeedToken))}
            for name in self.audiences():
                if name not in held:
                    held[name] = secrets.token_urlsafe(24)
                    session.add(FeedToken(audience=name, token=held[name], created_at=now))
        return {name: held[name] for name in self.audiences()}

    def rotate(self, name: str) -> str:
        self.check_audience(name)
        token = secrets.token_urlsafe(24)
        with self.store.transaction(write=True) as session:
            session.merge(FeedToken(audience=name, token=token, created_at=datetime.now(UTC)))
        return token

    def token_matches(self, name: str, token: str) -> bool:
        """Whether ``token`` opens ``name``'s feed; the same work whether the audience exists
        or not: one read of its token, one comparison in constant time."""
        with self.store.connection(write=False) as connection:
            held = token_of(connection, name)
        right = hmac.compare_digest((held or _NO_TOKEN).encode(), token.encode())
        # A token row left by an audience since removed from the configuration opens nothing.
        return right and held is not None and name in self.audiences()

    def url(self, name: str, token: str) -> str:
        return f"{self.config.feeds.url}/feeds/{token}/{name}.ics"
