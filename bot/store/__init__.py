"""The encrypted, consent-based store: working state, kept cases, erasure, retention.

The public surface is what the Telegram adapter, the staff handoff and the CLI use; the
modules behind it are private. The store never imports Telegram: chats and users are ints.

One module per concept, each a part of `Store` built on `core.StoreCore` (one transaction
holding the chat's lock, data keys queued and shredded): conversations (working state, update
ids), tracked (message ids for quick exit), cases (kept cases), handoffs, entries (transcripts
and notes), staff (topics, names), purge (erasure and retention), audit; store.py opens it.

    store = await Store.open(settings)
    async with store.conversation(chat_id, update_id) as conv:
        if conv.duplicate:
            return
        outcome = engine.step(State.from_dict(conv.state), event, env)
        conv.save(outcome.state.to_dict())
"""

from bot.store.cases import CaseRef, KeptCase
from bot.store.conversations import Conversation
from bot.store.entries import Entry
from bot.store.errors import DecryptionError, StoreConfigError, StoreError, StoreUnavailable
from bot.store.handoffs import HandoffCase
from bot.store.keystore import RotateReport
from bot.store.purge import PurgeReport
from bot.store.store import Store
from bot.store.tracked import TrackedMessage

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
