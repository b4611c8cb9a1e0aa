"""Code words of kept cases (the sealed scrypt record, wrong tries, the lock), and the
version of the share consent on the case, beside the keep consent's.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kept_case") as batch:
        batch.add_column(sa.Column("codeword_enc", sa.LargeBinary(), nullable=True))
        batch.add_column(
            sa.Column("codeword_fails", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("share_consent", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kept_case") as batch:
        batch.drop_column("share_consent")
        batch.drop_column("locked_until")
        batch.drop_column("codeword_fails")
        batch.drop_column("codeword_enc")
