"""Locks of a kept case's code word in a row: each lasts twice as long as the last (up to a
day) until the right word is given.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kept_case") as batch:
        batch.add_column(
            sa.Column("codeword_locks", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("kept_case") as batch:
        batch.drop_column("codeword_locks")
