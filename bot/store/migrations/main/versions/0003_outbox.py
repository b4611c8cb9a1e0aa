"""Outbox: replies decided in a step, delivered after its commit.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("item_enc", sa.LargeBinary(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_subject", "outbox", ["subject"])


def downgrade() -> None:
    op.drop_index("ix_outbox_subject", table_name="outbox")
    op.drop_table("outbox")
