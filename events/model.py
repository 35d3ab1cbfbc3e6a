"""The register's tables: sources, follow-ups and their append-only history.

The schema is made only by the Alembic migrations in ``events/migrations``; a test checks
that they and these classes agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Re-exported: the enums are used with the tables everywhere, and were first defined here.
from events.kinds import Kind as Kind
from events.kinds import NoticeStatus as NoticeStatus
from events.kinds import Status as Status
from events.schedule import Schedule
from events.window import Precision, Window


class UTCDateTime(TypeDecorator[datetime]):
    """An aware instant stored as naive UTC, so SQLite and PostgreSQL read back the same."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; give it a zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _enum(cls: type[StrEnum], name: str) -> Enum:
    # Store the values users see ("half-year"), not the Python member names.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


class Source(Base):
    """A document follow-ups were taken from, kept whole so every sentence can be checked."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    publisher: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    published: Mapped[date | None]
    attribution: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    ingested_at: Mapped[datetime]


class FollowUp(Base):
    """Something a meeting promised, with what is known of when it happens."""

    __tablename__ = "followups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[Kind] = mapped_column(_enum(Kind, "kind"))
    status: Mapped[Status] = mapped_column(_enum(Status, "status"))
    parties: Mapped[list[str]] = mapped_column(JSON)
    location: Mapped[str | None] = mapped_column(String(500))

    # The window: what is known of the dates, and the words it was given in.
    earliest: Mapped[date | None]
    latest: Mapped[date | None]
    precision: Mapped[Precision] = mapped_column(_enum(Precision, "precision"))
    phrase: Mapped[str | None] = mapped_column(String(500))

    # Once confirmed: whole days, or instants with the zone they were given in.
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    timezone: Mapped[str | None] = mapped_column(String(64))
    #: A timed meeting confirmed with a start and no end: its end is the default length.
    end_assumed: Mapped[bool | None]

    anchor_id: Mapped[str | None] = mapped_column(ForeignKey("followups.id"), index=True)
    margin_days: Mapped[int] = mapped_column(Integer, default=0)

    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    paragraph: Mapped[int | None]
    sentence: Mapped[str | None] = mapped_column(Text)

    tags: Mapped[list[str]] = mapped_column(JSON)
    next_step: Mapped[str | None] = mapped_column(Text)
    #: The status the next step was written for (empty: expected); in another status it
    #: no longer applies, and notices say the step that fits instead.
    next_step_for: Mapped[str | None] = mapped_column(String(16))
    #: No chases before this day (``followup snooze``); leads and window notices still go.
    snoozed_until: Mapped[date | None]
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    #: Its notices are in the ledger up to this instant; None until it is first planned.
    planned_until: Mapped[datetime | None] = mapped_column(index=True)
    #: The fingerprint of the reminder settings it was planned under.
    planned_with: Mapped[str | None] = mapped_column(String(16))

    anchor: Mapped[FollowUp | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)
    source: Mapped[Source | None] = relationship(lazy="selectin")
    #: What is anchored to it.
    riders: Mapped[list[FollowUp]] = relationship(
        primaryjoin="FollowUp.id == foreign(FollowUp.anchor_id)", viewonly=True,
        order_by="FollowUp.id", lazy="select")
    #: The dated notes kept on it (``followup note``), oldest first.
    notes: Mapped[list[Change]] = relationship(
        primaryjoin="and_(FollowUp.id == foreign(Change.followup_id), Change.field == 'note')",
        viewonly=True, order_by="Change.id", lazy="select")

    @property
    def window(self) -> Window:
        return Window(self.earliest, self.latest, self.precision)

    @property
    def schedule(self) -> Schedule | None:
        if self.start_date is not None and self.end_date is not None:
            return Schedule(self.start_date, self.end_date)
        if self.start_at is not None and self.end_at is not None and self.timezone:
            return Schedule.timed(self.start_at, self.end_at, self.timezone)
        return None


class Change(Base):
    """One field of one follow-up changed, and why. Rows are only ever added."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    followup_id: Mapped[str] = mapped_column(ForeignKey("followups.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
    why: Mapped[str] = mapped_column(Text)

    followup: Mapped[FollowUp] = relationship()


class Notice(Base):
    """One reminder to one audience on one channel: the ledger daemons deliver from.

    The key names what the notice is, so planning twice never adds it twice and a sent
    notice is recognised. A sent notice keeps exactly what was sent and is never rewritten.
    """

    __tablename__ = "notices"
    # Dispatch asks "what is due, oldest first" among pending and failed notices.
    __table_args__ = (Index("ix_notices_status_next_attempt", "status", "next_attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    followup_id: Mapped[str | None] = mapped_column(ForeignKey("followups.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(200), default="")
    due: Mapped[datetime]
    status: Mapped[NoticeStatus] = mapped_column(_enum(NoticeStatus, "notice_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime | None]
    #: When the last attempt to deliver it ended (sent, failed or given up).
    attempted_at: Mapped[datetime | None]
    planned_revision: Mapped[int | None]
    #: For a digest or "missed" notice: what it covers (keys or ids), as planned.
    payload: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]


class Daemon(Base):
    """A running ``followup daemon``: its heartbeat tells the others it is alive.

    A daemon whose heartbeat has stopped, or whose process is gone from this host, has its
    claimed notices handed back at once instead of after its leases run out.
    """

    __tablename__ = "daemons"

    owner: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: The host name and process namespace: a process id means something only within it.
    host: Mapped[str] = mapped_column(String(300))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class FeedToken(Base):
    """The secret in an audience's feed URL; replacing it makes the old URL stop working."""

    __tablename__ = "feed_tokens"

    audience: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class EditorToken(Base):
    """The secrets of an audience's editor address, apart from its feed's: holding the feed
    address lets one read, holding this one lets one change follow-ups from the page.

    ``form_token`` is the CSRF token the page's forms carry; it is kept here, not derived
    from a per-process secret, so that every server of the register (the daemon's and
    ``followup serve``) and a restarted one accept the forms the others gave out.
    """

    __tablename__ = "editor_tokens"

    audience: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    form_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class RegisterVersion(Base):
    """One row: a number raised in the same transaction as any change to the follow-ups.

    Database triggers raise it (migration 0005_feed_blocks), so every writer counts, whether
    it goes through the register or not; a feed that has seen this number has seen every
    follow-up as it is.
    """

    __tablename__ = "register_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


#: Which follow-ups each register version changed, written by the same triggers that raise it
#: (migration 0010_feed_changes): a feed that has seen a version reads only what came after.
#: A log, not an entity: no key, never loaded as objects.
feed_changes = Table(
    "feed_changes", Base.metadata,
    Column("version", Integer, nullable=False, index=True),
    Column("followup_id", String(64), nullable=False),
)


class FeedBlock(Base):
    """A follow-up's serialized events, kept so that a new process need not render them again.

    Good for one revision of the follow-up and of its anchor, whose dates and state it shows,
    and for one ``shape``: the feed settings and format the bytes were made with.
    """

    __tablename__ = "feed_blocks"

    followup_id: Mapped[str] = mapped_column(
        ForeignKey("followups.id", ondelete="CASCADE"), primary_key=True)
    shape: Mapped[str] = mapped_column(String(32), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    anchor_revision: Mapped[int] = mapped_column(Integer)
    block: Mapped[bytes] = mapped_column(LargeBinary)
