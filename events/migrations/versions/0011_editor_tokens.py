"""Editor tokens: the secret part of each audience's editor address, and its form token.

Revision ID: 0011_editor_tokens
Revises: 0010_feed_changes
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_editor_tokens"
down_revision: str | None = "0010_feed_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "editor_tokens",
        sa.Column("audience", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("form_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("audience", name=op.f("pk_editor_tokens")),
    )


def downgrade() -> None:
    op.drop_table("editor_tokens")
