"""A next step is kept with the status it was written for.

A next step typed or read while a follow-up waited for its date ("Ask the Japanese hosts for
the dates") no longer applies once the date is known; notices then say the step that fits
where it stands. Steps from before this revision were all written for an expected
follow-up, which is what an empty value means.

Revision ID: 0008_next_step_for
Revises: 0007_plan_horizon
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_next_step_for"
down_revision: str | None = "0007_plan_horizon"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: rebuilding the table (batch mode) would drop the feed triggers.
    op.add_column("followups", sa.Column("next_step_for", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("followups") as batch:
        batch.drop_column("next_step_for")
