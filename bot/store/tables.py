"""The tables: what is kept, and in which form.

Main database (`MainTable.metadata`): only pseudonyms, random ids, times and ciphertext.
Columns ending in `_enc` are AES-256-GCM ciphertext under the row's data key.

Key store (`KeyTable.metadata`, a separate database): wrapped data keys. Deleting a row
there shreds every ciphertext written under it, wherever copies of it went.

Schema changes go through Alembic (bot/store/migrations), never `create_all`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from pydantic import ConfigDict
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

PSEUDONYM_LEN = 64  # hex HMAC-SHA256
KEY_ID_LEN = 32  # hex, random
CODE_LEN = 16


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every database (SQLite keeps no zone of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _when(index: bool = False, nullable: bool = False) -> Any:
    return Field(sa_type=UTCDateTime, index=index, nullable=nullable)


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}  # named constraints, so later migrations can alter them on both databases


class MainTable(SQLModel, registry=registry(metadata=sa.MetaData(naming_convention=NAMING))):
    """Base of the main database's tables (its own metadata, apart from other packages)."""

    model_config = ConfigDict(hide_input_in_errors=True)  # type: ignore[assignment]


class KeyTable(SQLModel, registry=registry(metadata=sa.MetaData(naming_convention=NAMING))):
    """Base of the key store's tables."""

    model_config = ConfigDict(hide_input_in_errors=True)  # type: ignore[assignment]


class StoreMeta(MainTable, table=True):
    """store_id (pairs the database with its key store) and the pseudonym key check."""

    __tablename__ = "store_meta"
    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=512)


class ConversationRow(MainTable, table=True):
    """Working state of one chat: where the survivor is in the flow. Expires when idle."""

    __tablename__ = "conversation"
    subject: str = Field(primary_key=True, max_length=PSEUDONYM_LEN)  # pseudonym of the chat
    key_id: str = Field(max_length=KEY_ID_LEN)
    state_enc: bytes
    expires_at: dt.datetime = _when(index=True)


class TrackedRow(MainTable, table=True):
    """Message ids of one chat that quick exit should delete (encrypted list)."""

    __tablename__ = "tracked_message"
    subject: str = Field(primary_key=True, max_length=PSEUDONYM_LEN)
    key_id: str = Field(max_length=KEY_ID_LEN)
    messages_enc: bytes
    expires_at: dt.datetime = _when(index=True)


class CaseRow(MainTable, table=True):
    """A case the survivor agreed to keep. Handoff columns are filled by the staff side."""

    __tablename__ = "kept_case"
    code: str = Field(primary_key=True, max_length=CODE_LEN)  # random, shown to staff
    subject: str = Field(max_length=PSEUDONYM_LEN, unique=True)
    key_id: str = Field(max_length=KEY_ID_LEN)
    chat_enc: bytes  # the chat id, to write back
    answers_enc: bytes
    lang_enc: bytes
    consent: str = Field(max_length=32)  # version of the keep consent agreed to
    share_consent: str | None = Field(default=None, max_length=32)  # of the share consent
    kept_at: dt.datetime = _when()
    expires_at: dt.datetime = _when(index=True)
    status: str = Field(default="kept", max_length=16, index=True)  # kept|open|claimed|closed
    thread_id: int | None = Field(default=None, sa_type=sa.BigInteger, unique=True)
    claimed_by: str | None = Field(default=None, max_length=PSEUDONYM_LEN)  # staff pseudonym
    transcript_enc: bytes | None = None
    notes_enc: bytes | None = None
    # Seals transcript_enc and notes_enc (None: none yet, or sealed by key_id before 0005):
    # shredded when they are purged after the handoff closes, while the case lives on.
    entries_key_id: str | None = Field(default=None, max_length=KEY_ID_LEN)
    opened_at: dt.datetime | None = _when(nullable=True)  # handed to staff
    claimed_at: dt.datetime | None = _when(nullable=True)
    announced_at: dt.datetime | None = _when(nullable=True)  # last (re-)announcement
    closed_at: dt.datetime | None = _when(nullable=True)
    blocked_at: dt.datetime | None = _when(nullable=True)  # the survivor blocked the bot
    codeword_enc: bytes | None = None  # scrypt salt and hash of the code word, sealed
    codeword_fails: int = Field(default=0)  # wrong tries since the last right one or lock
    locked_until: dt.datetime | None = _when(nullable=True)  # too many wrong code words
    codeword_locks: int = Field(default=0)  # locks in a row, each twice as long as the last


class StaffTopic(MainTable, table=True):
    """A staff forum topic to delete at `delete_at`: kept apart from the case, so erasing the
    case (or a restart) never leaves its conversation behind in the staff chat."""

    __tablename__ = "staff_topic"
    thread_id: int = Field(
        primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    delete_at: dt.datetime = _when(index=True)


class StaffMember(MainTable, table=True):
    """A display name a staff member chose to sign their messages with (encrypted)."""

    __tablename__ = "staff_member"
    subject: str = Field(primary_key=True, max_length=PSEUDONYM_LEN)  # staff pseudonym
    key_id: str = Field(max_length=KEY_ID_LEN)
    name_enc: bytes


class ProcessedUpdate(MainTable, table=True):
    """Telegram update ids already applied, so a re-delivery changes nothing."""

    __tablename__ = "processed_update"
    update_id: int = Field(
        primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    seen_at: dt.datetime = _when(index=True)


class OutboxRow(MainTable, table=True):
    """What a step decided to write to a chat, waiting to be delivered (encrypted).

    Written in the transaction that saves the step's state, deleted once delivered. `done`
    counts the operations already carried out; `tries` the ambiguous timeouts of the next
    one; `lease_until` keeps other senders off it while one is sending (and is the time of the
    next attempt after a failure).
    """

    __tablename__ = "outbox"
    id: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
    )
    subject: str = Field(max_length=PSEUDONYM_LEN, index=True)  # pseudonym of the chat
    urgent: bool = Field(default=False)  # quick exit, crisis, help: before other chats
    key_id: str = Field(max_length=KEY_ID_LEN)
    item_enc: bytes  # the chat id and the operations (texts, buttons, message ids)
    done: int = Field(default=0)
    tries: int = Field(default=0)
    lease_until: dt.datetime | None = _when(nullable=True)


class KeyShred(MainTable, table=True):
    """Data keys whose rows are gone, queued in the same transaction; shredded right after."""

    __tablename__ = "key_shred"
    key_id: str = Field(primary_key=True, max_length=KEY_ID_LEN)
    queued_at: dt.datetime = _when()


class AuditEvent(MainTable, table=True):
    """Who did what and when: pseudonyms and case codes only, never content."""

    __tablename__ = "audit_event"
    id: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
    )
    at: dt.datetime = _when(index=True)
    event: str = Field(max_length=64)
    actor: str | None = Field(default=None, max_length=PSEUDONYM_LEN)
    subject: str | None = Field(default=None, max_length=PSEUDONYM_LEN)


class KeyStoreMeta(KeyTable, table=True):
    """store_id and one check value per master key version."""

    __tablename__ = "keystore_meta"
    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=512)


class DataKey(KeyTable, table=True):
    """A data key, wrapped (AES-256-GCM) by master key `kek_version`."""

    __tablename__ = "data_key"
    id: str = Field(primary_key=True, max_length=KEY_ID_LEN)
    kek_version: int = Field(index=True)
    wrapped: bytes
    created_at: dt.datetime = _when()


MAIN_METADATA = MainTable.metadata
KEYS_METADATA = KeyTable.metadata
