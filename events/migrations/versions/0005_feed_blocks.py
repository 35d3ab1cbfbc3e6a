"""Feed blocks and the register's version: what lets a feed be served without rendering it.

``feed_blocks`` keeps each follow-up's serialized events; ``register_version`` holds one
number that triggers raise in the same transaction as any insert, update or delete of a
follow-up, whoever makes it (the register, a bulk load, an edit by hand), so a feed server
can tell that nothing changed by reading that number alone.

Revision ID: 0005_feed_blocks
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_feed_blocks"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RAISE = "UPDATE register_version SET version = version + 1"
_WHEN = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        "register_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_version")),
    )
    op.execute("INSERT INTO register_version (id, version) VALUES (1, 1)")
    op.create_table(
        "feed_blocks",
        sa.Column("followup_id", sa.String(length=64), nullable=False),
        sa.Column("shape", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("anchor_revision", sa.Integer(), nullable=False),
        sa.Column("block", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["followup_id"], ["followups.id"],
            name=op.f("fk_feed_blocks_followup_id_followups"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("followup_id", "shape", name=op.f("pk_feed_blocks")),
    )
    if op.get_context().dialect.name == "sqlite":
        # SQLite has row triggers only: a statement touching many rows raises it many times.
        for when in _WHEN:
            op.execute(f"CREATE TRIGGER followups_{when.lower()}_raise_version AFTER {when} "
                       f"ON followups BEGIN {_RAISE}; END")
    else:
        # Raised at commit, once a transaction: taken at the first change, the lock on the
        # version's row would be held while the transaction waits for locks on follow-ups
        # that another holds, and that other, changing a follow-up, would wait for it.
        op.execute(
            "CREATE FUNCTION followups_raise_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            "IF current_setting('followup.version_raised', true) IS DISTINCT FROM 'yes' THEN "
            f"{_RAISE}; PERFORM set_config('followup.version_raised', 'yes', true); "
            "END IF; RETURN NULL; END $$")
        op.execute("CREATE CONSTRAINT TRIGGER followups_raise_version "
                   "AFTER INSERT OR UPDATE OR DELETE ON followups "
                   "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                   "EXECUTE FUNCTION followups_raise_version()")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for when in _WHEN:
            op.execute(f"DROP TRIGGER followups_{when.lower()}_raise_version")
    else:
        op.execute("DROP TRIGGER followups_raise_version ON followups")
        op.execute("DROP FUNCTION followups_raise_version()")
    op.drop_table("feed_blocks")
    op.drop_table("register_version")
