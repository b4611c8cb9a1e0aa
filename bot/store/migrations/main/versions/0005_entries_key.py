"""A case's transcript and staff notes get a data key of their own, shredded when they are
purged after the handoff closes, so copies left in old pages, the WAL or backups go with it
while the kept answers live on under the case's key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kept_case") as batch:
        batch.add_column(sa.Column("entries_key_id", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kept_case") as batch:
        batch.drop_column("entries_key_id")
