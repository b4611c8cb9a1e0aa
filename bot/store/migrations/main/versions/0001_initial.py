"""The main database: working state, kept cases, tracked messages, update ids, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "store_meta",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(512), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_store_meta"),
    )
    op.create_table(
        "conversation",
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("state_enc", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_conversation"),
    )
    op.create_index("ix_conversation_expires_at", "conversation", ["expires_at"])
    op.create_table(
        "tracked_message",
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("messages_enc", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_tracked_message"),
    )
    op.create_index("ix_tracked_message_expires_at", "tracked_message", ["expires_at"])
    op.create_table(
        "kept_case",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("chat_enc", sa.LargeBinary(), nullable=False),
        sa.Column("answers_enc", sa.LargeBinary(), nullable=False),
        sa.Column("lang_enc", sa.LargeBinary(), nullable=False),
        sa.Column("consent", sa.String(32), nullable=False),
        sa.Column("kept_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("transcript_enc", sa.LargeBinary(), nullable=True),
        sa.Column("notes_enc", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_kept_case"),
        sa.UniqueConstraint("subject", name="uq_kept_case_subject"),
        sa.UniqueConstraint("thread_id", name="uq_kept_case_thread_id"),
    )
    op.create_index("ix_kept_case_expires_at", "kept_case", ["expires_at"])
    op.create_table(
        "processed_update",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seen_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("update_id", name="pk_processed_update"),
    )
    op.create_index("ix_processed_update_seen_at", "processed_update", ["seen_at"])
    op.create_table(
        "key_shred",
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("queued_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("key_id", name="pk_key_shred"),
    )
    op.create_table(
        "audit_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            autoincrement=True,
        ),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_event"),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])


def downgrade() -> None:
    for table in (
        "audit_event",
        "key_shred",
        "processed_update",
        "kept_case",
        "tracked_message",
        "conversation",
        "store_meta",
    ):
        op.drop_table(table)
