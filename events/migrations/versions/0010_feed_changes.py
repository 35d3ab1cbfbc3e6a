"""Which follow-ups each register version changed: what lets a feed re-read only those.

``feed_changes`` holds one row per follow-up inserted, updated or deleted, with the register
version that change raised it to, written by the same triggers that raise the version. A
feed that has seen version V reads the ids changed after V instead of every follow-up's
revision. Versions have no gaps in it (each raise writes at least one row), so a reader can
tell from its lowest version whether it still reaches back far enough; older rows are pruned
every thousand versions, and a reader left further behind reads every revision as before.

Revision ID: 0010_feed_changes
Revises: 0009_end_assumed
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_feed_changes"
down_revision: str | None = "0009_end_assumed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Versions kept in the log: a feed server further behind than this reads everything again.
KEPT = 20_000
_RAISE = "UPDATE register_version SET version = version + 1"
_VERSION = "(SELECT version FROM register_version WHERE id = 1)"
_PRUNE = f"DELETE FROM feed_changes WHERE version <= {_VERSION} - {KEPT}"
_WHEN = {"INSERT": "NEW", "UPDATE": "NEW", "DELETE": "OLD"}


def _raise_function(*, once: str, each: str) -> str:
    """PostgreSQL's trigger function: the version raised once a transaction (then ``once``),
    and ``each`` for every row changed."""
    return ("CREATE OR REPLACE FUNCTION followups_raise_version() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ "
            "BEGIN "
            "IF current_setting('followup.version_raised', true) IS DISTINCT FROM 'yes' THEN "
            f"{_RAISE}; PERFORM set_config('followup.version_raised', 'yes', true); {once}"
            f"END IF; {each}RETURN NULL; END $$")


def upgrade() -> None:
    op.create_table(
        "feed_changes",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_feed_changes_version", "feed_changes", ["version"])
    if op.get_context().dialect.name == "sqlite":
        for when, row in _WHEN.items():
            # One trigger does both, in this order: the row logged carries the raised number.
            op.execute(f"DROP TRIGGER followups_{when.lower()}_raise_version")
            op.execute(
                f"CREATE TRIGGER followups_{when.lower()}_raise_version AFTER {when} "
                f"ON followups BEGIN {_RAISE}; "
                f"INSERT INTO feed_changes (version, followup_id) VALUES ({_VERSION}, {row}.id); "
                f"END")
        op.execute(
            "CREATE TRIGGER feed_changes_prune AFTER INSERT ON feed_changes "
            f"WHEN NEW.version % 1000 = 0 BEGIN {_PRUNE}; END")
    else:
        op.execute(_raise_function(
            once=f"IF {_VERSION} % 1000 = 0 THEN {_PRUNE}; END IF; ",
            each="INSERT INTO feed_changes (version, followup_id) VALUES "
                 f"({_VERSION}, CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END); "))


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER feed_changes_prune")
        for when in _WHEN:
            op.execute(f"DROP TRIGGER followups_{when.lower()}_raise_version")
            op.execute(f"CREATE TRIGGER followups_{when.lower()}_raise_version AFTER {when} "
                       f"ON followups BEGIN {_RAISE}; END")
    else:
        op.execute(_raise_function(once="", each=""))  # as migration 0005 made it
    op.drop_index("ix_feed_changes_version", table_name="feed_changes")
    op.drop_table("feed_changes")
