"""Every column the store has, and why it may hold what it holds (checklist DM-1).

A new column fails this test until someone classifies it here: what could identify a survivor
or carry what they said must be ciphertext (`*_enc`, bytes); the rest is pseudonyms, random
codes, times and control values.
"""

from __future__ import annotations

import sqlalchemy as sa

from bot.store.tables import KeyTable, MainTable

ENCRYPTED = "ciphertext under the record's data key"
ALLOWED: dict[str, dict[str, str]] = {
    "store_meta": {"name": "setting name", "value": "store id and pseudonym-key check value"},
    "conversation": {"subject": "pseudonym", "key_id": "random id", "state_enc": ENCRYPTED,
                     "expires_at": "time"},
    "tracked_message": {"subject": "pseudonym", "key_id": "random id", "messages_enc": ENCRYPTED,
                        "expires_at": "time"},
    "kept_case": {"code": "random case code", "subject": "pseudonym", "key_id": "random id",
                  "chat_enc": ENCRYPTED, "answers_enc": ENCRYPTED, "lang_enc": ENCRYPTED,
                  "consent": "consent text version", "share_consent": "consent text version",
                  "kept_at": "time", "expires_at": "time",
                  "status": "handoff status", "thread_id": "staff forum topic id",
                  "claimed_by": "staff pseudonym", "transcript_enc": ENCRYPTED,
                  "notes_enc": ENCRYPTED, "entries_key_id": "random id",
                  "opened_at": "time", "claimed_at": "time",
                  "announced_at": "time", "closed_at": "time", "blocked_at": "time",
                  "codeword_enc": ENCRYPTED, "codeword_fails": "wrong code word tries",
                  "codeword_locks": "code word locks in a row",
                  "locked_until": "time"},
    "staff_topic": {"thread_id": "staff forum topic id", "delete_at": "time"},
    "staff_member": {"subject": "staff pseudonym", "key_id": "random id",
                     "name_enc": ENCRYPTED},
    "processed_update": {"update_id": "Telegram update counter", "seen_at": "time"},
    "key_shred": {"key_id": "random id", "queued_at": "time"},
    "outbox": {"id": "row number", "subject": "pseudonym", "urgent": "delivery priority",
               "key_id": "random id", "item_enc": ENCRYPTED, "done": "delivery progress",
               "tries": "delivery attempts", "lease_until": "time"},
    "audit_event": {"id": "row number", "at": "time", "event": "event name",
                    "actor": "staff pseudonym", "subject": "case code"},
    "keystore_meta": {"name": "setting name", "value": "store id and master-key checks"},
    "data_key": {"id": "random id", "kek_version": "master key version",
                 "wrapped": "data key wrapped by the master key", "created_at": "time"},
}  # fmt: skip


def test_every_column_is_classified_and_sensitive_ones_are_ciphertext() -> None:
    for metadata in (MainTable.metadata, KeyTable.metadata):
        for table in metadata.sorted_tables:
            allowed = ALLOWED.get(table.name)
            assert allowed is not None, f"unclassified table {table.name}"
            for column in table.columns:
                why = allowed.get(column.name)
                assert why is not None, f"unclassified column {table.name}.{column.name}"
                if why == ENCRYPTED:
                    assert column.name.endswith("_enc")
                    assert isinstance(column.type, sa.LargeBinary), column


def test_no_column_is_named_for_plaintext_identity_or_content() -> None:
    forbidden = ("username", "first_name", "last_name", "phone", "user_id", "chat_id", "text",
                 "message", "answer", "name_plain")  # fmt: skip
    for metadata in (MainTable.metadata, KeyTable.metadata):
        for table in metadata.sorted_tables:
            for column in table.columns:
                if column.name.endswith("_enc"):
                    continue
                assert not any(word == column.name for word in forbidden), column
