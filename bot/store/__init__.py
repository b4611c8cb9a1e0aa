"""The encrypted, consent-based store: working state, kept cases, erasure, retention.

The public surface is what the Telegram adapter, the staff handoff and the CLI use; the
modules behind it are private. The store never imports Telegram: chats and users are ints.

    store = await Store.open(settings)
    async with store.conversation(chat_id, update_id) as conv:
        if conv.duplicate:
            return
        outcome = engine.step(State.from_dict(conv.state), event, env)
        conv.save(outcome.state.to_dict())
"""

from bot.store._store import (
    CaseRef,
    Conversation,
    Entry,
    HandoffCase,
    KeptCase,
    PurgeReport,
    Store,
    TrackedMessage,
)
from bot.store.errors import DecryptionError, StoreConfigError, StoreError, StoreUnavailable
from bot.store.keystore import RotateReport

__all__ = [
    "CaseRef",
    "Conversation",
    "DecryptionError",
    "Entry",
    "HandoffCase",
    "KeptCase",
    "PurgeReport",
    "RotateReport",
    "Store",
    "StoreConfigError",
    "StoreError",
    "StoreUnavailable",
    "TrackedMessage",
]
