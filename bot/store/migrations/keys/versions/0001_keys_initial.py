"""The key store: wrapped data keys and master key checks.

Revision ID: k0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "keystore_meta",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(512), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_keystore_meta"),
    )
    op.create_table(
        "data_key",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kek_version", sa.Integer(), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_data_key"),
    )
    op.create_index("ix_data_key_kek_version", "data_key", ["kek_version"])


def downgrade() -> None:
    op.drop_table("data_key")
    op.drop_table("keystore_meta")
