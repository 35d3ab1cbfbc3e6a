"""How far ahead each follow-up's notices are planned, and under which settings.

A follow-up is planned again only when it changes, when its horizon runs out, or when the
reminder settings it was planned under are no longer the ones in force; start-up no longer
re-plans the whole register. Follow-ups from before this revision have neither, so the first
round plans them once.

Revision ID: 0007_plan_horizon
Revises: 0006_snooze
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_plan_horizon"
down_revision: str | None = "0006_snooze"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: rebuilding the table (batch mode) would drop the feed triggers.
    op.add_column("followups", sa.Column("planned_until", sa.DateTime(), nullable=True))
    op.add_column("followups", sa.Column("planned_with", sa.String(length=16), nullable=True))
    op.create_index(op.f("ix_followups_planned_until"), "followups", ["planned_until"])


def downgrade() -> None:
    op.drop_index(op.f("ix_followups_planned_until"), table_name="followups")
    with op.batch_alter_table("followups") as batch:
        batch.drop_column("planned_with")
        batch.drop_column("planned_until")
