"""A follow-up can be snoozed: no chases before a given day.

Revision ID: 0006_snooze
Revises: 0005_feed_blocks
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_snooze"
down_revision: str | None = "0005_feed_blocks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: rebuilding the table (batch mode) would drop the feed triggers.
    op.add_column("followups", sa.Column("snoozed_until", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("followups") as batch:
        batch.drop_column("snoozed_until")
