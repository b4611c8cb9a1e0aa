"""The outbox: replies written with the step, encrypted, delivered in order, never twice."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.store import Store

from .conftest import Backend

CHAT, OTHER = 5566001, 5566002
SECRET_WORDS = "a reply only the survivor may read"


def _send(text: str) -> dict[str, object]:
    return {"k": "send", "text": text, "kb": None, "protect": False}


async def test_replies_are_written_with_the_step_and_encrypted(
    backend: Backend, store: Store
) -> None:
    async with store.conversation(CHAT, update_id=1) as conv:
        conv.save({"step": 1})
        conv.deliver([_send(SECRET_WORDS)])
    assert await store.outbox_size() == 1
    assert SECRET_WORDS.encode() not in backend.raw_bytes()
    assert str(CHAT).encode() not in backend.raw_bytes()
    # a step that fails writes neither its state nor its replies
    try:
        async with store.conversation(CHAT, update_id=2) as conv:
            conv.deliver([_send("never")])
            raise RuntimeError
    except RuntimeError:
        pass
    assert await store.outbox_size() == 1
    # a redelivered update queues nothing again
    async with store.conversation(CHAT, update_id=1) as conv:
        assert conv.duplicate
        conv.deliver([_send("again")])
    assert await store.outbox_size() == 1


async def test_each_chat_in_order_urgent_chats_first_and_one_sender_per_row(
    store: Store,
) -> None:
    await store.deliver(CHAT, [_send("first"), _send("second")])
    await store.deliver(CHAT, [_send("third")])
    await store.deliver(OTHER, [_send("help now")], urgent=True)
    claimed = await store.claim_outbox(10)
    assert [d.chat_id for d in claimed] == [OTHER, CHAT]  # urgent first; one row per chat
    assert await store.claim_outbox(10) == []  # leased: no second sender takes them
    head = claimed[1]
    assert [op["text"] for op in head.ops] == ["first", "second"]
    assert await store.advance(head, 1, [901])  # one sent: tracked, the row stays
    assert await store.advance(head, 2, [902])  # all sent: the row goes
    nxt = await store.claim_outbox(10)
    assert [op["text"] for d in nxt for op in d.ops] == ["third"]
    assert sorted(m.message_id for m in await store.take_messages(CHAT)) == [901, 902]


async def test_recording_a_send_and_taking_the_next_reply_is_one_commit_in_order(
    store: Store,
) -> None:
    """The sender records what it sent and takes the next rows in one transaction: the
    chat's next reply is taken only once the one before it is recorded as sent."""
    await store.deliver(CHAT, [_send("first")])
    await store.deliver(CHAT, [_send("second")])
    (first,) = await store.claim_outbox(10)
    assert await store.claim_outbox(10) == []  # "second" waits behind "first"
    done, claimed = await store.advance_and_claim([(first, 1, [901])], 10)
    assert done == [True]
    assert [op["text"] for d in claimed for op in d.ops] == ["second"]
    done, claimed = await store.advance_and_claim([(claimed[0], 1, [902])], 10)
    assert (done, claimed) == ([True], [])
    assert await store.outbox_size() == 0
    assert sorted(m.message_id for m in await store.take_messages(CHAT)) == [901, 902]


async def test_a_lease_that_runs_out_makes_the_row_claimable_again(store: Store) -> None:
    await store.deliver(CHAT, [_send("hello")])
    (first,) = await store.claim_outbox(10, lease=dt.timedelta(seconds=-1))  # a dead sender
    (again,) = await store.claim_outbox(10)
    assert again.id == first.id
    await store.retry_later(again, 3600, tries=1)  # a timeout: tried once more, later
    assert await store.claim_outbox(10) == []
    await store.release()
    (third,) = await store.claim_outbox(10)
    assert third.tries == 1


async def test_quick_exit_drops_what_is_queued(store: Store) -> None:
    await store.deliver(CHAT, [_send("pending")])
    (sending,) = await store.claim_outbox(10)
    async with store.conversation(CHAT, update_id=9) as conv:
        conv.forget()
        conv.cancel_outbox()
    assert await store.outbox_size() == 0
    # the sender that was mid-send learns the row is gone, so it deletes what it sent
    assert not await store.advance(sending, 1, [77])
    assert await store.take_messages(CHAT) == []


async def test_relays_to_staff_have_a_lane_of_their_own_that_erasure_drops(
    backend: Backend, store: Store
) -> None:
    relay = {"k": "staff", "text": SECRET_WORDS, "withheld": None}
    async with store.conversation(CHAT, update_id=30) as conv:
        conv.deliver([_send("your reply")])
        conv.deliver([relay], urgent=True, staff=True)
    assert SECRET_WORDS.encode() not in backend.raw_bytes()
    claimed = await store.claim_outbox(10)
    # Both lanes go at once: a slow staff chat never holds the survivor's replies back.
    assert sorted(op["k"] for d in claimed for op in d.ops) == ["send", "staff"]
    assert {d.chat_id for d in claimed} == {CHAT}
    await store.release()
    async with store.conversation(CHAT, update_id=31) as conv:  # quick exit: both lanes go
        conv.forget()
        conv.cancel_outbox()
    assert await store.outbox_size() == 0
    async with store.conversation(CHAT, update_id=32) as conv:
        conv.deliver([_send("deleted, as you asked")])
        conv.deliver([relay], urgent=True, staff=True)
    await store.erase(CHAT, "delete")  # /delete: its answer still goes, nothing to staff
    assert [op["k"] for d in await store.claim_outbox(10) for op in d.ops] == ["send"]


async def test_an_update_older_than_the_newest_applied_is_stale(store: Store) -> None:
    async with store.conversation(CHAT, update_id=20) as conv:
        assert not conv.stale
        conv.save({"step": "newer"})
    async with store.conversation(CHAT, update_id=19) as conv:  # raced past by update 20
        assert conv.stale
        assert conv.state == {"step": "newer"}  # the marker stays inside the encrypted state
    async with store.conversation(CHAT) as conv:  # a step of the bot's own keeps the marker
        conv.save({"step": "resumed"})
    async with store.conversation(CHAT, update_id=18) as conv:
        assert conv.stale
    async with store.conversation(CHAT, update_id=21) as conv:
        assert not conv.stale and conv.last_update == 20


async def test_one_sender_per_bot_and_a_new_one_when_it_goes(backend: Backend) -> None:
    first, second = await backend.open(), await backend.open()
    try:
        assert await first.lead()
        if backend.sqlite:  # one process serves the bot: it is always the sender
            return
        assert not await second.lead()  # another worker: not while the first one leads
        woken: list[int] = []
        await second.listen(lambda: woken.append(1))
        await first.deliver(CHAT, [_send("hi")])  # NOTIFY reaches every listening worker
        for _ in range(100):
            if woken:
                break
            await asyncio.sleep(0.02)
        assert woken
        await first.resign()  # or its process dies: its connection goes, and the lock
        assert await second.lead()
        assert not await first.lead()
    finally:
        await first.close()
        await second.close()


async def test_one_key_per_chat_kept_while_its_messages_are_tracked(
    backend: Backend, store: Store
) -> None:
    """Replies are sealed with the chat's key: delivering them creates and shreds no key,
    quick exit can still read what to delete, and erasing the chat shreds the key."""
    async with store.conversation(CHAT, update_id=1) as conv:
        conv.save({"step": 1})
        conv.track([5])  # the survivor's message
        conv.deliver([_send("one"), _send("two")])
    async with store.conversation(OTHER, update_id=2) as conv:
        conv.deliver([_send("elsewhere")])
    claimed = {d.chat_id: d for d in await store.claim_outbox(10)}
    await store.drop_chat_outbox(OTHER)  # blocked: its row goes, and its key with it
    keys = await backend.count("data_key", keys=True)  # CHAT's state key and chat key
    assert keys == 2
    # Two chats' sends recorded in one transaction; one row is gone meanwhile.
    assert await store.advance_many(
        [(claimed[CHAT], 2, [901, 902]), (claimed[OTHER], 1, [903])]
    ) == [True, False]
    assert await store.outbox_size() == 0
    assert await backend.count("data_key", keys=True) == keys  # nothing shredded or added
    assert sorted(m.message_id for m in await store.take_messages(CHAT)) == [5, 901, 902]
    await store.erase(CHAT, "exit")
    assert await backend.count("data_key", keys=True) < keys
