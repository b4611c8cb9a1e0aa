"""chat_member updates: the fake reports a member leaving the way Telegram does."""

from __future__ import annotations

from telegram import Bot, Update

from tests.fakebot import FakeBotApi


async def test_a_member_leaving_is_reported_to_an_admin_bot_that_asked(
    api: FakeBotApi, bot: Bot
) -> None:
    mei = api.add_user("Mei", user_id=8800022234)
    boss = api.add_user("Bo", user_id=8800044456)
    group = api.add_forum_group("Staff", members=[mei], owner=boss)
    await api.member_leaves(group, mei)
    assert await bot.get_updates() == ()  # not asked for: Telegram never sends it
    assert (await bot.get_chat_member(group.id, mei.id)).status == "left"

    api.add_member(group, mei)
    await bot.get_updates(allowed_updates=[Update.CHAT_MEMBER])  # from now on, asked for
    await api.member_leaves(group, mei, removed_by=boss)
    [update] = await bot.get_updates(allowed_updates=[Update.CHAT_MEMBER])
    change = update.chat_member
    assert change is not None
    assert change.chat.id == group.id
    assert change.from_user.id == boss.id
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("member", "kicked")
    assert change.new_chat_member.user.id == mei.id
    assert (await bot.get_chat_member(group.id, mei.id)).status == "kicked"


async def test_a_bot_that_is_not_an_admin_hears_nothing(api: FakeBotApi, bot: Bot) -> None:
    mei = api.add_user("Mei", user_id=8800022234)
    group = api.add_group("Chat", members=[mei], bot_status="member")
    await bot.get_updates(allowed_updates=[Update.CHAT_MEMBER])
    await api.member_leaves(group, mei)
    assert await bot.get_updates(allowed_updates=[Update.CHAT_MEMBER]) == ()
    assert (await bot.get_chat_member(group.id, mei.id)).status == "left"
