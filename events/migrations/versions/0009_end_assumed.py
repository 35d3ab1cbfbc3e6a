"""Whether a confirmed meeting's end was given or assumed (a start with no --until).

Revision ID: 0009_end_assumed
Revises: 0008_next_step_for
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_end_assumed"
down_revision: str | None = "0008_next_step_for"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: rebuilding the table (batch mode) would drop the feed triggers.
    op.add_column("followups", sa.Column("end_assumed", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("followups") as batch:
        batch.drop_column("end_assumed")
