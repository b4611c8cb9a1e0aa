"""Staff handoff: case timestamps, topics to delete, staff display names.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
TIMES = ("opened_at", "claimed_at", "announced_at", "closed_at", "blocked_at")


def upgrade() -> None:
    with op.batch_alter_table("kept_case") as batch:
        for name in TIMES:
            batch.add_column(sa.Column(name, WHEN, nullable=True))
        batch.create_index("ix_kept_case_status", ["status"])
    op.create_table(
        "staff_topic",
        sa.Column("thread_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("delete_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("thread_id", name="pk_staff_topic"),
    )
    op.create_index("ix_staff_topic_delete_at", "staff_topic", ["delete_at"])
    op.create_table(
        "staff_member",
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("name_enc", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_staff_member"),
    )


def downgrade() -> None:
    op.drop_table("staff_member")
    op.drop_index("ix_staff_topic_delete_at", table_name="staff_topic")
    op.drop_table("staff_topic")
    with op.batch_alter_table("kept_case") as batch:
        batch.drop_index("ix_kept_case_status")
        for name in reversed(TIMES):
            batch.drop_column(name)
