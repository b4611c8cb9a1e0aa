"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of a real PTB Application.

Wire behaviour follows the real Bot API server (tdlib/telegram-bot-api): every method is
reached as ``{root}/bot{token}/{method}`` (method names are case-insensitive), parameters come
from the query string and from a form-urlencoded, multipart or JSON body, answers are
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description": ...}``
with HTTP status N, and 429 answers carry ``parameters.retry_after``.

Usage::

    async with FakeBotApi() as api:
        alice = api.add_user("Alice", language_code="uk")
        app = ApplicationBuilder().token(api.token).base_url(api.url_for_ptb).build()
        ...
        await api.user_sends(alice, "/start")
        [reply] = await api.wait_for_messages(alice.id, 1)

Deviations from the real service are listed in ``tests/fakebot/README.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import ipaddress
import itertools
import json
import logging
import random
import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from .markup import EntityParseError, auto_entities, parse_text, utf16_len
from .models import (
    ADMIN_RIGHTS,
    FORTY_EIGHT_HOURS,
    FORUM_ICON_COLORS,
    ApiError,
    FakeChat,
    FakeClock,
    FakeMember,
    FakeMessage,
    FakeTopic,
    FakeUser,
    FileUpload,
    RecordedCall,
    WebhookDelivery,
)

__all__ = ["DEFAULT_BOT_RIGHTS", "FakeBotApi", "Params", "StoredFile"]

log = logging.getLogger(__name__)

#: Update types delivered when allowed_updates was never set (or set to []).
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post",
        "business_connection", "business_message", "edited_business_message",
        "deleted_business_messages", "inline_query", "chosen_inline_result", "callback_query",
        "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
        "my_chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
    }
)  # fmt: skip
ALL_UPDATE_TYPES = DEFAULT_ALLOWED_UPDATES | {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}

#: Rights the bot gets by default when it is made an administrator of a group.
DEFAULT_BOT_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_topics",
    "can_pin_messages",
    "can_invite_users",
    "can_restrict_members",
)

MEDIA_KINDS = (
    "photo",
    "video",
    "document",
    "voice",
    "video_note",
    "sticker",
    "animation",
    "audio",
)

_SEND_MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendVideo": "video",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendVideoNote": "video_note",
    "sendSticker": "sticker",
    "sendAnimation": "animation",
    "sendAudio": "audio",
}

#: Parameters that are always strings, never JSON-decoded in RecordedCall.params.
_STRING_PARAMS = frozenset(
    {
        "text", "caption", "callback_query_id", "inline_query_id", "inline_message_id", "url",
        "secret_token", "name", "description", "short_description", "language_code",
        "parse_mode", "file_id", "query", "custom_title", "emoji", "icon_custom_emoji_id",
        "business_connection_id", "action", "title", "ip_address", "offset_str",
        "next_offset", "switch_pm_text", "switch_pm_parameter", "message_effect_id",
    }
)  # fmt: skip

_TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"


def _bad_request(message: str) -> ApiError:
    """A 400 with the server's capitalisation rule (fail_query_with_error in telegram-bot-api):
    the first letter is lowered unless the word looks like an UPPER_CASE error code."""
    if len(message) >= 2 and not (message[1] == "_" or message[1].isupper()):
        message = message[0].lower() + message[1:]
    return ApiError(400, f"Bad Request: {message}")


def _forbidden(message: str) -> ApiError:
    return ApiError(403, f"Forbidden: {message}")


@dataclass
class _Fault:
    method: str
    status: int | None
    description: str | None
    retry_after: int | None
    delay: float
    remaining: int
    chat_id: int | None = None


@dataclass
class _Answer:
    """A successful result with the optional ``description`` the real server adds."""

    result: Any
    description: str | None = None


@dataclass
class _CallbackQuery:
    id: str
    user: FakeUser
    message: FakeMessage | None
    data: str | None
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_size: int
    kind: str
    file_path: str


class Params:
    """Request parameters with the Bot API's per-field typing."""

    def __init__(self, values: dict[str, Any], files: dict[str, FileUpload]) -> None:
        self.values = values
        self.files = files

    def has(self, name: str) -> bool:
        v = self.values.get(name)
        return v is not None and v != ""

    def get_str(self, name: str, default: str | None = None) -> str | None:
        v = self.values.get(name)
        if v is None:
            return default
        if isinstance(v, str):
            return v
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return str(v)
        return json.dumps(v)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        v = self.values.get(name)
        if v is None or v == "":
            return default
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, int):
            return v
        if isinstance(v, float):
            return int(v)
        try:
            return int(str(v).strip())
        except ValueError:
            try:
                return int(float(str(v).strip()))
            except ValueError:
                return 0  # like td::to_integer on garbage

    def get_bool(self, name: str) -> bool:
        v = self.values.get(name)
        if isinstance(v, bool):
            return v
        if v is None:
            return False
        return str(v).strip().lower() in ("true", "1")

    def get_json(self, name: str, what: str) -> Any:
        """A JSON-typed parameter (objects, arrays); None when absent."""
        v = self.values.get(name)
        if v is None or v == "":
            return None
        if not isinstance(v, str):
            return v
        try:
            return json.loads(v)
        except ValueError:
            raise _bad_request(f"Can't parse {what} JSON object") from None


def _decode_for_record(name: str, value: Any) -> Any:
    if not isinstance(value, str) or name in _STRING_PARAMS:
        return value
    s = value.strip()
    if not s:
        return value
    if s[0] in "[{" or s in ("true", "false", "null") or re.fullmatch(r"-?\d+(\.\d+)?", s):
        try:
            return json.loads(s)
        except ValueError:
            return value
    return value


def _is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class FakeBotApi:
    """A fake Bot API server plus the simulated Telegram world behind it.

    Start it with ``async with FakeBotApi(...) as api`` (or ``await api.start()`` /
    ``await api.stop()``).  ``api.base_url`` is the API root (``http://127.0.0.1:PORT``);
    ``api.url_for_ptb`` is what ``ApplicationBuilder().base_url(...)`` wants.
    """

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        bot_username: str = "helpline_test_bot",
        bot_first_name: str = "Helpline",
        clock: FakeClock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        privacy_mode: bool = True,
        strict_html: bool = True,
        long_poll_max_timeout: float = 50.0,
        callback_query_timeout: float = 15.0,
        webhook_max_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 10.0,
        first_update_id: int | None = None,
        seed: int = 0,
    ) -> None:
        self.token = token
        bot_id_part = token.split(":", 1)[0]
        self.bot = FakeUser(
            id=int(bot_id_part) if bot_id_part.isdigit() else 123456,
            first_name=bot_first_name,
            username=bot_username,
            is_bot=True,
        )
        self.clock = clock or FakeClock()
        self.host = host
        self.port = port
        self.privacy_mode = privacy_mode
        self.strict_html = strict_html
        self.long_poll_max_timeout = long_poll_max_timeout
        self.callback_query_timeout = callback_query_timeout
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self._rng = random.Random(seed)

        # world
        self.users: dict[int, FakeUser] = {self.bot.id: self.bot}
        self.chats: dict[int, FakeChat] = {}
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(4_000_000_001)
        self._supergroup_ids = itertools.count(1_000_000_001)
        self.files: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, _CallbackQuery] = {}
        self.inline_queries: dict[str, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.bot_descriptions: dict[str, str] = {}
        self.bot_short_descriptions: dict[str, str] = {}
        self.bot_names: dict[str, str] = {}

        # updates
        self._next_update_id = (
            first_update_id if first_update_id is not None else self._rng.randint(10**8, 9 * 10**8)
        )
        self.pending_updates: list[dict[str, Any]] = []
        self.all_updates: list[dict[str, Any]] = []
        self.dropped_updates: list[dict[str, Any]] = []
        self.allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._explicit_allowed_updates: list[str] | None = None
        self._long_poll: asyncio.Future[None] | None = None

        # webhook
        self.webhook_url: str = ""
        self.webhook_secret: str = ""
        self.webhook_max_connections: int = 40
        self.webhook_ip_address: str | None = None
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.webhook_failed_updates: list[dict[str, Any]] = []
        self._webhook_last_error: tuple[int, str] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._client: aiohttp.ClientSession | None = None

        # calls and faults
        self.calls: list[RecordedCall] = []
        self.rejected_requests: list[tuple[str, str]] = []
        self._faults: list[_Fault] = []
        self._flood: dict[str, Any] | None = None
        self._sent_log: list[tuple[float, int]] = []

        # change notification
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, tuple[str, Callable[[Params], Any]]] = {}
        self._register_methods()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeBotApi:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        self._client = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        self._closing.set()
        self._notify()
        if self._long_poll is not None and not self._long_poll.done():
            self._long_poll.set_result(None)
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
            self._webhook_task = None
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """The API root: the bot calls ``{base_url}/bot{token}/{method}``."""
        return f"http://{self.host}:{self.port}"

    @property
    def url_for_ptb(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)`` (token appended)."""
        return f"{self.base_url}/bot"

    @property
    def file_url_for_ptb(self) -> str:
        return f"{self.base_url}/file/bot"

    def method_url(self, method: str) -> str:
        return f"{self.base_url}/bot{self.token}/{method}"

    # ------------------------------------------------------------------ world building

    def add_user(
        self,
        first_name: str = "Alice",
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "en",
        is_bot: bool = False,
        is_premium: bool | None = None,
        user_id: int | None = None,
        started: bool = False,
    ) -> FakeUser:
        """A Telegram user.  ``started=True`` lets the bot write first (as after /start)."""
        uid = user_id if user_id is not None else next(self._user_ids)
        user = FakeUser(
            id=uid,
            first_name=first_name,
            username=username,
            last_name=last_name,
            language_code=language_code,
            is_bot=is_bot,
            is_premium=is_premium,
        )
        self.users[uid] = user
        chat = self.private_chat(user)
        chat.started = started
        return user

    def private_chat(self, user: FakeUser | int) -> FakeChat:
        user = self._user(user)
        chat = self.chats.get(user.id)
        if chat is None:
            chat = FakeChat(
                id=user.id,
                type="private",
                first_name=user.first_name,
                last_name=user.last_name,
                username=user.username,
            )
            chat.members[user.id] = FakeMember(user, "member")
            chat.members[self.bot.id] = FakeMember(self.bot, "member")
            self.chats[user.id] = chat
        return chat

    def add_group(
        self,
        title: str = "Staff",
        *,
        members: Iterable[FakeUser] = (),
        admins: Iterable[FakeUser] = (),
        owner: FakeUser | None = None,
        supergroup: bool = True,
        forum: bool = False,
        bot_status: str = "administrator",
        bot_rights: Iterable[str] = DEFAULT_BOT_RIGHTS,
        username: str | None = None,
        chat_id: int | None = None,
        description: str | None = None,
    ) -> FakeChat:
        """A group or supergroup (``forum=True`` makes a forum supergroup with topics).

        ``bot_status`` is the bot's membership: administrator (with ``bot_rights``), member,
        left or kicked.
        """
        if forum and not supergroup:
            raise ValueError("only supergroups can be forums")
        if chat_id is None:
            chat_id = (
                -(10**12 + next(self._supergroup_ids)) if supergroup else -next(self._group_ids)
            )
        chat = FakeChat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            username=username,
            is_forum=forum,
            description=description,
        )
        self.chats[chat_id] = chat
        if owner is not None:
            chat.members[owner.id] = FakeMember(owner, "creator")
        for admin in admins:
            chat.members[admin.id] = FakeMember(
                admin, "administrator", set(ADMIN_RIGHTS) - {"is_anonymous", "can_be_edited"}
            )
        for member in members:
            chat.members.setdefault(member.id, FakeMember(member, "member"))
        self.set_bot_membership(chat, bot_status, bot_rights)
        return chat

    def add_forum_group(self, title: str = "Staff", **kwargs: Any) -> FakeChat:
        return self.add_group(title, forum=True, supergroup=True, **kwargs)

    def add_channel(
        self,
        title: str = "News",
        *,
        username: str | None = None,
        bot_status: str = "administrator",
        bot_rights: Iterable[str] = (
            "can_post_messages",
            "can_edit_messages",
            "can_delete_messages",
        ),
    ) -> FakeChat:
        chat_id = -(10**12 + next(self._supergroup_ids))
        chat = FakeChat(id=chat_id, type="channel", title=title, username=username)
        self.chats[chat_id] = chat
        self.set_bot_membership(chat, bot_status, bot_rights)
        return chat

    def set_bot_membership(
        self, chat: FakeChat | int, status: str, rights: Iterable[str] = DEFAULT_BOT_RIGHTS
    ) -> None:
        """Change the bot's status in a chat silently (no my_chat_member update)."""
        chat = self._chat(chat)
        rights_set = set(rights) if status == "administrator" else set()
        chat.members[self.bot.id] = FakeMember(self.bot, status, rights_set)

    def add_member(
        self,
        chat: FakeChat | int,
        user: FakeUser,
        status: str = "member",
        rights: Iterable[str] = (),
    ) -> FakeMember:
        chat = self._chat(chat)
        member = FakeMember(user, status, set(rights))
        chat.members[user.id] = member
        return member

    def add_topic(
        self,
        chat: FakeChat | int,
        name: str,
        *,
        icon_color: int = FORUM_ICON_COLORS[0],
        creator: FakeUser | None = None,
    ) -> FakeTopic:
        """Create a forum topic out of band (as a human admin would), with its service message."""
        chat = self._chat(chat)
        if not chat.is_forum:
            raise ValueError("not a forum")
        return self._create_topic(chat, name, icon_color, None, creator or self.bot)

    def remove_topic(self, chat: FakeChat | int, message_thread_id: int) -> None:
        """Delete a topic out of band (as a human admin would); its messages disappear too."""
        chat = self._chat(chat)
        self._delete_topic(chat, message_thread_id)

    def block(self, user: FakeUser | int) -> None:
        """The user blocks the bot (silently; see ``user_blocks_bot`` for the update)."""
        self.private_chat(user).blocked = True
        self._notify()

    def unblock(self, user: FakeUser | int) -> None:
        self.private_chat(user).blocked = False
        self._notify()

    def chat(self, chat_id: int) -> FakeChat:
        return self.chats[chat_id]

    def register_file(
        self, kind: str, *, file_size: int = 12_345, file_id: str | None = None
    ) -> StoredFile:
        """A file Telegram knows about (so the bot can re-send it by file_id)."""
        fid = file_id or self._new_file_id(kind)
        stored = StoredFile(
            file_id=fid,
            file_unique_id=self._new_unique_id(),
            file_size=file_size,
            kind=kind,
            file_path=f"{kind}s/file_{len(self.files)}{self._extension(kind)}",
        )
        self.files[fid] = stored
        return stored

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        *,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (or ``"*"`` for any) fail with ``status``.

        The failing call has no side effect.  For 429 the description defaults to
        ``Too Many Requests: retry after S`` and ``parameters.retry_after`` is set.
        With ``chat_id`` only calls addressed to that chat count.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request",
                401: "Unauthorized",
                403: "Forbidden",
                404: "Not Found",
                409: "Conflict",
                429: f"Too Many Requests: retry after {retry_after}",
                500: "Internal Server Error",
                502: "Bad Gateway",
                503: "Service Unavailable",
                504: "Gateway Timeout",
            }.get(status, "Error")
        self._faults.append(_Fault(method, status, description, retry_after, 0.0, times, chat_id))

    def delay_next(
        self, method: str, seconds: float, times: int = 1, *, chat_id: int | None = None
    ) -> None:
        """Hold the next ``times`` calls of ``method`` for ``seconds`` before processing them.

        Like the real server, a delayed request is still carried out after the delay even if
        the client gave up waiting (so a timed-out sendMessage may still create a message).
        """
        self._faults.append(_Fault(method, None, None, None, seconds, times, chat_id))

    def clear_faults(self) -> None:
        self._faults.clear()

    def enforce_flood_limits(
        self,
        *,
        per_chat_per_second: float | None = 1.0,
        per_group_per_minute: int | None = 20,
        overall_per_second: int | None = 30,
        retry_after: int = 5,
    ) -> None:
        """Answer 429 when the bot exceeds Telegram's published flood limits (off by default).

        The real limits allow short bursts and are not exact; this is a strict version over the
        fake clock, meant for testing a rate limiter.  ``None`` disables one of the limits.
        """
        self._flood = {
            "per_chat_per_second": per_chat_per_second,
            "per_group_per_minute": per_group_per_minute,
            "overall_per_second": overall_per_second,
            "retry_after": retry_after,
        }

    def _flood_error(self, method: str, p: Params) -> ApiError | None:
        if self._flood is None or not (
            method.startswith(("send", "copyMessage", "forwardMessage"))
            and method != "sendChatAction"
        ):
            return None
        now = self.clock.now()
        chat_id = p.get_int("chat_id") or 0
        recent = [(t, c) for t, c in self._sent_log if now - t < 60]
        self._sent_log = recent
        limits = self._flood
        retry = int(limits["retry_after"] or 1)
        too_many = False
        per_chat = limits["per_chat_per_second"]
        if per_chat and sum(1 for t, c in recent if c == chat_id and now - t < 1) >= per_chat:
            too_many = True
        per_group = limits["per_group_per_minute"]
        if per_group and chat_id < 0 and sum(1 for _, c in recent if c == chat_id) >= per_group:
            too_many = True
        overall = limits["overall_per_second"]
        if overall and sum(1 for t, _ in recent if now - t < 1) >= overall:
            too_many = True
        if too_many:
            return ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        self._sent_log.append((now, chat_id))
        return None

    def _take_faults(self, method: str, p: Params) -> tuple[float, _Fault | None]:
        delay = 0.0
        failure: _Fault | None = None
        for fault in list(self._faults):
            if fault.method not in (method, "*"):
                continue
            if fault.chat_id is not None and p.get_int("chat_id") != fault.chat_id:
                continue
            if fault.status is None and delay == 0.0:
                delay = fault.delay
            elif fault.status is not None and failure is None:
                failure = fault
            else:
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
        return delay, failure

    # ------------------------------------------------------------------ inspection

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Recorded calls of one method (case-insensitive name)."""
        low = method.lower()
        return [c for c in self.calls if c.method.lower() == low]

    def messages(
        self, chat: FakeChat | int, *, include_deleted: bool = False
    ) -> list[FakeMessage]:
        chat = self._chat(chat)
        msgs = sorted(chat.messages.values(), key=lambda m: m.message_id)
        return msgs if include_deleted else [m for m in msgs if not m.deleted]

    def visible_messages(
        self, chat: FakeChat | int, *, thread_id: int | None = None
    ) -> list[FakeMessage]:
        """Non-deleted messages of a chat, both directions, oldest first."""
        msgs = self.messages(chat)
        if thread_id is not None:
            msgs = [m for m in msgs if m.message_thread_id == thread_id]
        return msgs

    def bot_messages(
        self, chat: FakeChat | int, *, include_deleted: bool = False
    ) -> list[FakeMessage]:
        return [m for m in self.messages(chat, include_deleted=include_deleted) if m.outgoing]

    def last_bot_message(self, chat: FakeChat | int) -> FakeMessage | None:
        msgs = self.bot_messages(chat)
        return msgs[-1] if msgs else None

    def message(self, chat: FakeChat | int, message_id: int) -> FakeMessage:
        return self._chat(chat).messages[message_id]

    def topics(self, chat: FakeChat | int, *, include_deleted: bool = False) -> list[FakeTopic]:
        chat = self._chat(chat)
        return [t for t in chat.topics.values() if include_deleted or not t.is_deleted]

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        return list(
            self.commands.get((self._scope_key(scope or {"type": "default"}), language_code), [])
        )

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the condition, by design
        *,
        message: str | None = None,
    ) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every change); return its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = (
                    ", ".join(f"{c.method}->{c.status}" for c in self.calls[-10:]) or "no calls"
                )
                raise TimeoutError(
                    (message or "condition not met") + f" within {timeout}s; last calls: {recent}"
                )
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.25))

    async def wait_for_messages(
        self,
        chat: FakeChat | int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        from_bot: bool = True,
        after: FakeMessage | int | None = None,
    ) -> list[FakeMessage]:
        """Wait until the chat has at least ``count`` visible messages (by default: from the bot,
        newer than ``after``) and return the first ``count`` of them."""
        after_id = after.message_id if isinstance(after, FakeMessage) else (after or 0)

        def check() -> list[FakeMessage] | None:
            msgs = [
                m
                for m in self.messages(chat)
                if m.message_id > after_id and (m.outgoing or not from_bot)
            ]
            return msgs[:count] if len(msgs) >= count else None

        return await self.wait_for(  # type: ignore[no-any-return]
            check, timeout, message=f"{count} message(s) in chat {self._chat(chat).id}"
        )

    async def wait_for_call(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        finished: bool = True,
    ) -> list[RecordedCall]:
        def check() -> list[RecordedCall] | None:
            calls = [c for c in self.calls_to(method) if c.status is not None or not finished]
            return calls[:count] if len(calls) >= count else None

        return await self.wait_for(  # type: ignore[no-any-return]
            check, timeout, message=f"{count} call(s) to {method}"
        )

    async def wait_until_consumed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every queued update was confirmed by getUpdates or delivered."""
        await self.wait_for(lambda: not self.pending_updates, timeout, message="updates consumed")

    # ------------------------------------------------------------------ driving the bot

    async def user_sends(
        self,
        user: FakeUser,
        text: str,
        *,
        chat: FakeChat | int | None = None,
        entities: list[dict[str, Any]] | None = None,
        reply_to: FakeMessage | None = None,
        thread_id: int | None = None,
    ) -> FakeMessage:
        """The user sends a text message (to the bot in private by default)."""
        target = self.private_chat(user) if chat is None else self._chat(chat)
        return self._incoming_message(
            target, user, text=text, entities=entities, reply_to=reply_to, thread_id=thread_id
        )

    async def group_sends(
        self,
        group: FakeChat | int,
        user: FakeUser,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: FakeMessage | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> FakeMessage:
        """A member writes in a group (in topic ``thread_id`` of a forum if given)."""
        group = self._chat(group)
        if not group.is_group_like:
            raise ValueError("not a group")
        group.members.setdefault(user.id, FakeMember(user, "member"))
        return self._incoming_message(
            group, user, text=text, entities=entities, reply_to=reply_to, thread_id=thread_id
        )

    async def staff_sends_in_topic(
        self, group: FakeChat | int, user: FakeUser, thread_id: int, text: str, **kwargs: Any
    ) -> FakeMessage:
        return await self.group_sends(group, user, text, thread_id=thread_id, **kwargs)

    async def user_sends_media(
        self,
        user: FakeUser,
        kind: str,
        *,
        caption: str | None = None,
        chat: FakeChat | int | None = None,
        thread_id: int | None = None,
        file_size: int | None = None,
    ) -> FakeMessage:
        """The user sends a photo/video/document/voice/video_note/sticker/animation/audio."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"unknown media kind {kind!r}; one of {MEDIA_KINDS}")
        target = self.private_chat(user) if chat is None else self._chat(chat)
        if target.is_group_like:
            target.members.setdefault(user.id, FakeMember(user, "member"))
        media = self._media_payload(kind, file_size=file_size)
        return self._incoming_message(
            target,
            user,
            media_kind=kind,
            media=media,
            caption=caption,
            thread_id=thread_id,
        )

    async def user_edits(self, message: FakeMessage, new_text: str) -> FakeMessage:
        """The author edits a message: an edited_message (or edited_channel_post) update."""
        if message.deleted:
            raise ValueError("message is deleted")
        message.history.append({"text": message.text, "caption": message.caption})
        if message.text is not None:
            message.text = new_text
            message.entities = auto_entities(new_text)
        else:
            message.caption = new_text
            message.caption_entities = auto_entities(new_text)
        message.edit_date = self.clock.unix()
        kind = "edited_channel_post" if message.chat.type == "channel" else "edited_message"
        if self._bot_sees(message):
            self._enqueue_update(kind, message.to_api())
        self._notify()
        return message

    async def user_deletes(self, message: FakeMessage) -> None:
        """The user deletes a message on their side (the bot gets no update, like real)."""
        message.deleted = True
        message.deleted_at = self.clock.now()
        self._notify()

    async def channel_post(self, channel: FakeChat | int, text: str) -> FakeMessage:
        channel = self._chat(channel)
        if channel.type != "channel":
            raise ValueError("not a channel")
        msg = self._new_message(
            channel,
            from_user=None,
            sender_chat=channel,
            text=text,
            entities=auto_entities(text),
        )
        self._enqueue_update("channel_post", msg.to_api())
        return msg

    async def user_presses(
        self,
        user: FakeUser,
        message: FakeMessage,
        callback_data: str,
        *,
        check_button: bool = True,
    ) -> str:
        """The user taps an inline button; returns the callback query id."""
        if message.deleted:
            raise AssertionError(f"message {message.message_id} was deleted; nothing to press")
        if check_button and callback_data not in message.callback_data():
            raise AssertionError(
                f"message {message.message_id} has no button with callback_data "
                f"{callback_data!r}; it has {message.callback_data()!r}"
            )
        qid = str(self._rng.randrange(10**17, 10**19))
        query = _CallbackQuery(qid, user, message, callback_data, self.clock.now())
        self.callback_queries[qid] = query
        payload = {
            "id": qid,
            "from": user.to_api(),
            "message": message.to_api(),
            "chat_instance": self._chat_instance(message.chat),
            "data": callback_data,
        }
        self._enqueue_update("callback_query", payload)
        return qid

    async def inline_query(
        self, user: FakeUser, query: str, *, offset: str = "", chat_type: str | None = "private"
    ) -> str:
        qid = str(self._rng.randrange(10**17, 10**19))
        payload: dict[str, Any] = {
            "id": qid,
            "from": user.to_api(),
            "query": query,
            "offset": offset,
        }
        if chat_type:
            payload["chat_type"] = chat_type
        self.inline_queries[qid] = {"created": self.clock.now(), "answered": False, "answer": None}
        self._enqueue_update("inline_query", payload)
        return qid

    async def bot_added_to_group(
        self,
        group: FakeChat | int,
        *,
        by: FakeUser | None = None,
        status: str = "member",
        rights: Iterable[str] = DEFAULT_BOT_RIGHTS,
    ) -> FakeMessage:
        """Someone adds the bot: a my_chat_member update and a new_chat_members message."""
        group = self._chat(group)
        adder = by or next(
            (m.user for m in group.members.values() if m.is_admin and not m.user.is_bot),
            None,
        )
        if adder is None:
            adder = self.add_user("Owner")
            group.members[adder.id] = FakeMember(adder, "creator")
        old = group.members.get(self.bot.id) or FakeMember(self.bot, "left")
        old_api = old.to_api(group.type)
        self.set_bot_membership(group, status, rights)
        new_api = group.members[self.bot.id].to_api(group.type)
        self._enqueue_update(
            "my_chat_member",
            {
                "chat": group.to_api(),
                "from": adder.to_api(),
                "date": self.clock.unix(),
                "old_chat_member": old_api,
                "new_chat_member": new_api,
            },
        )
        msg = self._new_message(
            group,
            from_user=adder,
            service={
                "new_chat_members": [self.bot.to_api()],
                "new_chat_member": self.bot.to_api(),
                "new_chat_participant": self.bot.to_api(),
            },
        )
        self._enqueue_update("message", msg.to_api())
        return msg

    async def bot_removed_from_group(
        self, group: FakeChat | int, *, by: FakeUser | None = None
    ) -> None:
        group = self._chat(group)
        old = group.members.get(self.bot.id) or FakeMember(self.bot, "member")
        remover = by or next(
            (m.user for m in group.members.values() if m.is_admin and not m.user.is_bot), self.bot
        )
        old_api = old.to_api(group.type)
        self.set_bot_membership(group, "kicked")
        self._enqueue_update(
            "my_chat_member",
            {
                "chat": group.to_api(),
                "from": remover.to_api(),
                "date": self.clock.unix(),
                "old_chat_member": old_api,
                "new_chat_member": group.members[self.bot.id].to_api(group.type),
            },
        )

    async def member_leaves(
        self, group: FakeChat | int, user: FakeUser, *, removed_by: FakeUser | None = None
    ) -> None:
        """A member leaves a group (or an admin ``removed_by`` removes them).

        As on Telegram, a ``chat_member`` update follows only where the bot is an
        administrator, and only to a bot that listed "chat_member" in allowed_updates.
        """
        group = self._chat(group)
        old = group.members.get(user.id) or FakeMember(user, "member")
        old_api = old.to_api(group.type)
        new = FakeMember(user, "kicked" if removed_by is not None else "left")
        group.members[user.id] = new
        me = group.members.get(self.bot.id)
        if me is None or not me.is_admin:
            return
        self._enqueue_update(
            "chat_member",
            {
                "chat": group.to_api(),
                "from": (removed_by or user).to_api(),
                "date": self.clock.unix(),
                "old_chat_member": old_api,
                "new_chat_member": new.to_api(group.type),
            },
        )

    async def user_blocks_bot(self, user: FakeUser) -> None:
        """The user blocks the bot: my_chat_member (member -> kicked) and 403 on later sends."""
        chat = self.private_chat(user)
        chat.blocked = True
        self._enqueue_update(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": user.to_api(),
                "date": self.clock.unix(),
                "old_chat_member": {"status": "member", "user": self.bot.to_api()},
                "new_chat_member": {
                    "status": "kicked",
                    "user": self.bot.to_api(),
                    "until_date": 0,
                },
            },
        )

    async def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue a raw update of any type; returns its update_id."""
        return self._enqueue_update(kind, payload)

    # ------------------------------------------------------------------ world internals

    def _user(self, user: FakeUser | int) -> FakeUser:
        if isinstance(user, FakeUser):
            return user
        return self.users[user]

    def _chat(self, chat: FakeChat | int) -> FakeChat:
        if isinstance(chat, FakeChat):
            return chat
        return self.chats[chat]

    def _chat_instance(self, chat: FakeChat) -> str:
        digest = hashlib.sha256(f"{self.token}:{chat.id}".encode()).digest()
        return str(int.from_bytes(digest[:8], "big") - 2**63)

    def _new_file_id(self, kind: str) -> str:
        prefix = {
            "photo": "AgACAgIAAxkBAAI",
            "video": "BAACAgIAAxkBAAI",
            "document": "BQACAgIAAxkBAAI",
            "voice": "AwACAgIAAxkBAAI",
            "video_note": "DQACAgIAAxkBAAI",
            "sticker": "CAACAgIAAxkBAAI",
            "animation": "CgACAgIAAxkBAAI",
            "audio": "CQACAgIAAxkBAAI",
        }.get(kind, "BQACAgIAAxkBAAI")
        return prefix + "".join(self._rng.choice(_TOKEN_ALPHABET) for _ in range(56))

    def _new_unique_id(self) -> str:
        return "AgAD" + "".join(self._rng.choice(_TOKEN_ALPHABET) for _ in range(12))

    @staticmethod
    def _extension(kind: str) -> str:
        return {
            "photo": ".jpg", "video": ".mp4", "document": ".pdf", "voice": ".oga",
            "video_note": ".mp4", "sticker": ".webp", "animation": ".mp4", "audio": ".mp3",
        }.get(kind, "")  # fmt: skip

    def _file(self, kind: str, size: int) -> dict[str, Any]:
        stored = self.register_file(kind, file_size=size)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }

    def _media_payload(self, kind: str, *, file_size: int | None = None) -> Any:
        size = file_size
        if kind == "photo":
            sizes = []
            for w, h, s in (
                (90, 67, 1_402),
                (320, 240, 18_730),
                (800, 600, 79_114),
                (1280, 960, 152_377),
            ):
                f = self._file("photo", s if size is None else min(s, size))
                sizes.append({**f, "width": w, "height": h})
            return sizes
        if kind == "video":
            return {
                **self._file("video", size or 2_834_102),
                "width": 720, "height": 1280, "duration": 14, "mime_type": "video/mp4",
                "file_name": "video.mp4",
                "thumbnail": {**self._file("photo", 9_210), "width": 180, "height": 320},
            }  # fmt: skip
        if kind == "document":
            return {
                **self._file("document", size or 482_119),
                "file_name": "evidence.pdf", "mime_type": "application/pdf",
            }  # fmt: skip
        if kind == "voice":
            return {**self._file("voice", size or 31_822), "duration": 7, "mime_type": "audio/ogg"}
        if kind == "video_note":
            return {
                **self._file("video_note", size or 412_007), "length": 384, "duration": 9,
                "thumbnail": {**self._file("photo", 7_302), "width": 240, "height": 240},
            }  # fmt: skip
        if kind == "sticker":
            return {
                **self._file("sticker", size or 23_112), "type": "regular", "width": 512,
                "height": 512, "is_animated": False, "is_video": False, "emoji": "🙂",
                "set_name": "SampleStickers",
                "thumbnail": {**self._file("photo", 4_950), "width": 128, "height": 128},
            }  # fmt: skip
        if kind == "animation":
            return {
                **self._file("animation", size or 611_430), "width": 480, "height": 270,
                "duration": 3, "file_name": "animation.gif.mp4", "mime_type": "video/mp4",
            }  # fmt: skip
        if kind == "audio":
            return {
                **self._file("audio", size or 3_512_904), "duration": 215, "performer": "Artist",
                "title": "Song", "file_name": "song.mp3", "mime_type": "audio/mpeg",
            }  # fmt: skip
        raise ValueError(kind)

    def _new_message(
        self,
        chat: FakeChat,
        *,
        from_user: FakeUser | None,
        outgoing: bool = False,
        created_by: str = "user",
        thread_id: int | None = None,
        reply_to: FakeMessage | None = None,
        **fields: Any,
    ) -> FakeMessage:
        mid = chat.next_message_id
        chat.next_message_id += 1
        is_topic = False
        if thread_id is not None and chat.is_forum:
            topic = chat.topics.get(thread_id)
            is_topic = topic is not None
            if reply_to is None and topic is not None:
                reply_to = chat.messages.get(thread_id)
        msg = FakeMessage(
            message_id=mid,
            chat=chat,
            date=self.clock.unix(),
            from_user=from_user,
            outgoing=outgoing,
            created_by=created_by,
            message_thread_id=thread_id,
            is_topic_message=is_topic,
            reply_to=reply_to,
            **fields,
        )
        chat.messages[mid] = msg
        self._notify()
        return msg

    def _incoming_message(
        self,
        chat: FakeChat,
        user: FakeUser,
        *,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        reply_to: FakeMessage | None = None,
        thread_id: int | None = None,
        **fields: Any,
    ) -> FakeMessage:
        if chat.type == "private":
            chat.started = True
            chat.blocked = False
        if thread_id is not None and chat.is_forum:
            topic = chat.topics.get(thread_id)
            if topic is None or topic.is_deleted:
                raise ValueError(f"no topic {thread_id} in chat {chat.id}")
        if text is not None and entities is None:
            entities = auto_entities(text)
        msg = self._new_message(
            chat,
            from_user=user,
            text=text,
            entities=entities or [],
            reply_to=reply_to,
            thread_id=thread_id,
            **fields,
        )
        if self._bot_sees(msg):
            self._enqueue_update("message", msg.to_api())
        return msg

    def _bot_sees(self, msg: FakeMessage) -> bool:
        """Privacy mode: in groups a non-admin bot only gets commands, replies and mentions."""
        chat = msg.chat
        if chat.type in ("private", "channel") or not self.privacy_mode:
            return True
        me = chat.members.get(self.bot.id)
        if me is None or me.status in ("left", "kicked"):
            return False
        if me.is_admin or msg.is_service:
            return True
        content = msg.content or ""
        if content.startswith("/"):
            return True
        if f"@{self.bot.username}" in content:
            return True
        reply = msg.reply_to
        return bool(reply is not None and reply.outgoing and not reply.is_service)

    def _create_topic(
        self,
        chat: FakeChat,
        name: str,
        icon_color: int,
        icon_custom_emoji_id: str | None,
        creator: FakeUser,
    ) -> FakeTopic:
        mid = chat.next_message_id
        topic = FakeTopic(
            message_thread_id=mid,
            name=name,
            icon_color=icon_color,
            icon_custom_emoji_id=icon_custom_emoji_id,
            created_by=creator.id,
        )
        chat.topics[mid] = topic
        created: dict[str, Any] = {"name": name, "icon_color": icon_color}
        if icon_custom_emoji_id:
            created["icon_custom_emoji_id"] = icon_custom_emoji_id
        msg = self._new_message(
            chat,
            from_user=creator,
            outgoing=creator.id == self.bot.id,
            created_by="createForumTopic",
            thread_id=mid,
            service={"forum_topic_created": created},
        )
        msg.reply_to = None
        return topic

    def _delete_topic(self, chat: FakeChat, thread_id: int) -> None:
        topic = chat.topics.get(thread_id)
        if topic is None or topic.is_deleted:
            raise _bad_request("message thread not found")
        topic.is_deleted = True
        now = self.clock.now()
        for msg in chat.messages.values():
            if msg.message_thread_id == thread_id and not msg.deleted:
                msg.deleted = True
                msg.deleted_at = now
        self._notify()

    # ------------------------------------------------------------------ updates

    def _enqueue_update(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        update = {"update_id": update_id, kind: payload}
        self.all_updates.append(update)
        if kind not in self.allowed_updates:
            self.dropped_updates.append(update)
            log.debug("update %s of type %s not allowed; dropped", update_id, kind)
            self._notify()
            return update_id
        self.pending_updates.append(update)
        if self._long_poll is not None and not self._long_poll.done():
            self._long_poll.set_result(None)
        self._notify()
        return update_id

    def _confirm_updates(self, offset: int) -> None:
        if offset < 0:
            keep = -offset
            if len(self.pending_updates) > keep:
                del self.pending_updates[: len(self.pending_updates) - keep]
        elif offset > 0:
            before = len(self.pending_updates)
            self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= offset]
            if len(self.pending_updates) != before:
                self._notify()

    def _set_allowed_updates(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            raise _bad_request("Expected an Array of String as allowed_updates")
        self._explicit_allowed_updates = [str(v) for v in value]
        names = {str(v) for v in value} & ALL_UPDATE_TYPES
        self.allowed_updates = frozenset(names) if names else DEFAULT_ALLOWED_UPDATES

    # ------------------------------------------------------------------ HTTP

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, FileUpload]]:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, FileUpload] = {}
        if request.method in ("POST", "PUT") and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json(loads=json.loads)
                except ValueError:
                    raise _bad_request("Can't parse JSON request body") from None
                if not isinstance(body, dict):
                    raise _bad_request("JSON request body must be an Object")
                values.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = FileUpload(
                            field=key,
                            filename=value.filename,
                            content_type=value.content_type,
                            data=value.file.read(),
                        )
                    else:
                        values[key] = value
            else:
                await request.read()
        return values, files

    async def _handle(self, request: web.Request) -> web.Response:
        m = re.fullmatch(r"/bot([^/]*)/([^/]*)", request.path)
        if not m:
            return self._json_response(ApiError(404, "Not Found").to_api(), 404)
        token, method_name = m.group(1), m.group(2)
        if token != self.token:
            self.rejected_requests.append((token, method_name))
            return self._json_response(ApiError(401, "Unauthorized").to_api(), 401)
        entry = self._methods.get(method_name.lower())
        canonical = entry[0] if entry else method_name
        try:
            values, files = await self._read_params(request)
        except ApiError as exc:
            values, files = {}, {}
            parse_error: ApiError | None = exc
        else:
            parse_error = None
        call = RecordedCall(
            method=canonical,
            params={k: _decode_for_record(k, v) for k, v in values.items()},
            raw=values,
            time=self.clock.now(),
            http_method=request.method,
            content_type=request.content_type,
            files=files,
        )
        self.calls.append(call)
        self._notify()

        status, body = await self._dispatch(entry, canonical, Params(values, files), parse_error)
        call.status = status
        call.response = body
        self._notify()
        return self._json_response(body, status)

    async def _dispatch(
        self,
        entry: tuple[str, Callable[[Params], Any]] | None,
        canonical: str,
        params: Params,
        parse_error: ApiError | None,
    ) -> tuple[int, dict[str, Any]]:
        if entry is None:
            return 404, ApiError(404, "Not Found").to_api()
        delay, failure = self._take_faults(canonical, params)
        if delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
            if self._closing.is_set():
                return 500, ApiError(500, "Internal Server Error: restart").to_api()
        if failure is not None:
            err = ApiError(
                failure.status or 500, failure.description or "Error", failure.retry_after
            )
            return err.status, err.to_api()
        if parse_error is not None:
            return parse_error.status, parse_error.to_api()
        flood = self._flood_error(canonical, params)
        if flood is not None:
            return flood.status, flood.to_api()
        try:
            result = entry[1](params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as exc:
            return exc.status, exc.to_api()
        except Exception:  # a bug in the fake: make it loud, but answer like the real server
            log.exception("fake Bot API crashed in %s", canonical)
            return 500, ApiError(500, "Internal Server Error").to_api()
        if isinstance(result, _Answer):
            body: dict[str, Any] = {"ok": True, "result": result.result}
            if result.description:
                body["description"] = result.description
            return 200, body
        return 200, {"ok": True, "result": result}

    @staticmethod
    def _json_response(body: dict[str, Any], status: int) -> web.Response:
        return web.Response(
            status=status,
            body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            content_type="application/json",
        )

    # ------------------------------------------------------------------ method table

    def _register_methods(self) -> None:
        table: dict[str, Callable[[Params], Any]] = {
            "getMe": self._m_get_me,
            "logOut": lambda p: True,
            "close": lambda p: True,
            "getUpdates": self._m_get_updates,
            "setWebhook": self._m_set_webhook,
            "deleteWebhook": self._m_delete_webhook,
            "getWebhookInfo": self._m_get_webhook_info,
            "sendMessage": self._m_send_message,
            "editMessageText": self._m_edit_message_text,
            "editMessageCaption": self._m_edit_message_caption,
            "editMessageReplyMarkup": self._m_edit_message_reply_markup,
            "deleteMessage": self._m_delete_message,
            "deleteMessages": self._m_delete_messages,
            "copyMessage": self._m_copy_message,
            "copyMessages": self._m_copy_messages,
            "forwardMessage": self._m_forward_message,
            "forwardMessages": self._m_forward_messages,
            "sendChatAction": self._m_send_chat_action,
            "answerCallbackQuery": self._m_answer_callback_query,
            "answerInlineQuery": self._m_answer_inline_query,
            "setMyCommands": self._m_set_my_commands,
            "getMyCommands": self._m_get_my_commands,
            "deleteMyCommands": self._m_delete_my_commands,
            "setMyDescription": self._m_set_my_description,
            "getMyDescription": self._m_get_my_description,
            "setMyShortDescription": self._m_set_my_short_description,
            "getMyShortDescription": self._m_get_my_short_description,
            "setMyName": self._m_set_my_name,
            "getMyName": self._m_get_my_name,
            "setChatMenuButton": lambda p: True,
            "leaveChat": self._m_leave_chat,
            "getChat": self._m_get_chat,
            "getChatMember": self._m_get_chat_member,
            "getChatAdministrators": self._m_get_chat_administrators,
            "getChatMemberCount": self._m_get_chat_member_count,
            "createForumTopic": self._m_create_forum_topic,
            "editForumTopic": self._m_edit_forum_topic,
            "closeForumTopic": self._m_close_forum_topic,
            "reopenForumTopic": self._m_reopen_forum_topic,
            "deleteForumTopic": self._m_delete_forum_topic,
            "getForumTopicIconStickers": lambda p: [],
            "getFile": self._m_get_file,
        }
        for name, kind in _SEND_MEDIA_METHODS.items():
            table[name] = self._make_send_media(name, kind)
        self._methods = {name.lower(): (name, fn) for name, fn in table.items()}

    # ------------------------------------------------------------------ shared checks

    def _resolve_chat(self, p: Params, *, empty: str = "chat_id is empty") -> FakeChat:
        raw = p.get_str("chat_id")
        if raw is None or raw == "":
            raise _bad_request(empty)
        if raw.startswith("@"):
            for candidate in self.chats.values():
                if candidate.username and candidate.username.lower() == raw[1:].lower():
                    return candidate
            raise _bad_request("chat not found")
        chat_id = p.get_int("chat_id")
        found = self.chats.get(chat_id) if chat_id is not None else None
        if found is None:
            raise _bad_request("chat not found")
        return found

    def _check_can_write(self, chat: FakeChat) -> None:
        if chat.type == "private":
            user = self.users.get(chat.id)
            if user is not None and user.is_bot:
                raise _forbidden("bot can't send messages to bots")
            if chat.blocked:
                raise _forbidden("bot was blocked by the user")
            if not chat.started:
                raise _forbidden("bot can't initiate conversation with a user")
            return
        me = chat.members.get(self.bot.id)
        kind = chat.type
        if me is None or me.status == "left":
            raise _forbidden(f"bot is not a member of the {kind} chat")
        if me.status == "kicked":
            raise _forbidden(f"bot was kicked from the {kind} chat")
        if chat.type == "channel" and not me.can("can_post_messages"):
            raise _bad_request("need administrator rights in the channel chat")

    def _resolve_thread(self, chat: FakeChat, p: Params) -> int | None:
        thread_id = p.get_int("message_thread_id")
        if not thread_id:
            return None
        if chat.is_forum:
            topic = chat.topics.get(thread_id)
            if topic is None or topic.is_deleted:
                raise _bad_request("message thread not found")
            me = chat.members.get(self.bot.id)
            if topic.is_closed and not (me is not None and me.can("can_manage_topics")):
                raise _bad_request("TOPIC_CLOSED")
            return thread_id
        root = chat.messages.get(thread_id)
        if root is None or root.deleted:
            raise _bad_request("message thread not found")
        return thread_id

    def _resolve_reply(self, chat: FakeChat, p: Params) -> FakeMessage | None:
        reply_params = p.get_json("reply_parameters", "reply parameters")
        allow_without = False
        reply_id: int | None = None
        if isinstance(reply_params, dict):
            reply_id = int(reply_params.get("message_id") or 0) or None
            allow_without = bool(reply_params.get("allow_sending_without_reply"))
            other_chat = reply_params.get("chat_id")
            if other_chat not in (None, "", chat.id):
                target = (
                    self.chats.get(int(other_chat))
                    if str(other_chat).lstrip("-").isdigit()
                    else None
                )
                if target is None:
                    raise _bad_request("chat not found")
                msg = target.messages.get(reply_id or 0)
                if (msg is None or msg.deleted) and not allow_without:
                    raise _bad_request("message to be replied not found")
                return msg if msg is not None and not msg.deleted else None
        elif reply_params is not None:
            raise _bad_request("Object expected as reply parameters")
        elif p.has("reply_to_message_id"):
            reply_id = p.get_int("reply_to_message_id")
            allow_without = p.get_bool("allow_sending_without_reply")
        if not reply_id:
            return None
        msg = chat.messages.get(reply_id)
        if msg is None or msg.deleted:
            if allow_without:
                return None
            raise _bad_request("message to be replied not found")
        return msg

    def _parse_markup(self, p: Params) -> dict[str, Any] | None:
        markup = p.get_json("reply_markup", "reply keyboard markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("Object expected as reply markup")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request(
                    'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of '
                    "Arrays"
                )
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            if not any(rows):
                return None
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request('Field "keyboard" must be an Array of Arrays')
        return markup

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict):
            raise _bad_request(
                "Can't parse inline keyboard button: InlineKeyboardButton must be an Object"
            )
        if not isinstance(button.get("text"), str):
            raise _bad_request(
                'Can\'t parse inline keyboard button: Field "text" must be of type String'
            )
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str):
                raise _bad_request(
                    "Can't parse inline keyboard button: "
                    'Field "callback_data" must be of type String'
                )
            if not 1 <= len(data.encode("utf-8")) <= 64:
                raise _bad_request("BUTTON_DATA_INVALID")
        elif "url" in button:
            url = button["url"]
            parts = urlsplit(url) if isinstance(url, str) else None
            if (
                parts is None
                or parts.scheme not in ("http", "https", "tg")
                or not (parts.netloc or parts.scheme == "tg")
            ):
                raise _bad_request("BUTTON_URL_INVALID")
        elif not any(
            k in button
            for k in (
                "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
                "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay",
            )
        ):  # fmt: skip
            raise _bad_request(
                "Can't parse inline keyboard button: "
                "Text buttons are unallowed in the inline keyboard"
            )

    def _format(
        self,
        text: str,
        parse_mode: str | None,
        entities_param: Any,
        *,
        limit: int,
        empty_error: str,
        too_long_error: str,
    ) -> tuple[str, list[dict[str, Any]]]:
        known = {u.id: u.to_api() for u in self.users.values()}
        if entities_param is not None and not parse_mode:
            if not isinstance(entities_param, list):
                raise _bad_request("Expected an Array of MessageEntity")
            plain, ents = text, [dict(e) for e in entities_param]
        else:
            try:
                plain, ents = parse_text(
                    text, parse_mode, strict_ampersand=self.strict_html, known_users=known
                )
            except EntityParseError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
            except ValueError:
                raise _bad_request("unsupported parse_mode") from None
        plain, ents = self._trim(plain, ents)
        if not plain:
            raise _bad_request(empty_error)
        if len(plain) > limit:
            raise _bad_request(too_long_error)
        blocked = [
            (e["offset"], e["offset"] + e["length"])
            for e in ents
            if e["type"] in ("code", "pre", "text_link", "text_mention")
        ]
        for auto in auto_entities(plain):
            s, e = auto["offset"], auto["offset"] + auto["length"]
            if not any(s < be and bs < e for bs, be in blocked) and not any(
                x["type"] == auto["type"] and x["offset"] == s for x in ents
            ):
                ents.append(auto)
        ents.sort(key=lambda x: (x["offset"], -x["length"]))
        return plain, ents

    @staticmethod
    def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
        """TDLib strips leading/trailing whitespace and shifts/clips the entities."""
        stripped_left = text.lstrip()
        cut_left = utf16_len(text) - utf16_len(stripped_left)
        result = stripped_left.rstrip()
        total = utf16_len(result)
        fixed = []
        for e in entities:
            start = max(e["offset"] - cut_left, 0)
            end = min(e["offset"] + e["length"] - cut_left, total)
            if end > start:
                fixed.append({**e, "offset": start, "length": end - start})
        return result, fixed

    def _find_message(self, chat: FakeChat, message_id: int | None, what: str) -> FakeMessage:
        msg = chat.messages.get(message_id or 0)
        if msg is None or msg.deleted:
            raise _bad_request(f"{what} not found")
        return msg

    # ------------------------------------------------------------------ methods: bot & updates

    def _m_get_me(self, p: Params) -> dict[str, Any]:
        d = self.bot.to_api()
        d.update(
            {
                "can_join_groups": True,
                "can_read_all_group_messages": not self.privacy_mode,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )
        return d

    async def _m_get_updates(self, p: Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = p.get_int("offset", 0) or 0
        limit = min(max(p.get_int("limit", 100) or 100, 1), 100)
        timeout = min(max(p.get_int("timeout", 0) or 0, 0), self.long_poll_max_timeout)
        self._set_allowed_updates(p.get_json("allowed_updates", "allowed updates"))
        self._confirm_updates(offset)
        if self.pending_updates or timeout <= 0 or self._closing.is_set():
            return self.pending_updates[:limit]
        if self._long_poll is not None and not self._long_poll.done():
            self._long_poll.set_exception(
                ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            )
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._long_poll = waiter
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            pass
        finally:
            if self._long_poll is waiter:
                self._long_poll = None
        if waiter.done() and not waiter.cancelled() and waiter.exception() is not None:
            raise waiter.exception()  # type: ignore[misc]
        if self.webhook_url:
            raise ApiError(409, "Conflict: terminated by setWebhook request")
        return self.pending_updates[:limit]

    async def _m_set_webhook(self, p: Params) -> _Answer:
        url = p.get_str("url") or ""
        if not url:
            return await self._m_delete_webhook(p)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _bad_request("invalid webhook URL specified")
        if not _is_loopback(parts.hostname):
            raise _bad_request("bad webhook: the fake Bot API delivers only to loopback addresses")
        secret = p.get_str("secret_token") or ""
        if len(secret) > 256:
            raise _bad_request("secret token is too long")
        if any(c not in _TOKEN_ALPHABET for c in secret):
            raise _bad_request("secret token contains unallowed characters")
        max_conn = p.get_int("max_connections")
        self._set_allowed_updates(p.get_json("allowed_updates", "allowed updates"))
        if p.get_bool("drop_pending_updates"):
            self.pending_updates.clear()
        same = url == self.webhook_url and secret == self.webhook_secret
        self.webhook_url = url
        self.webhook_secret = secret
        self.webhook_max_connections = min(max(max_conn or 40, 1), 100)
        self.webhook_ip_address = p.get_str("ip_address") or None
        self._webhook_last_error = None
        if self._long_poll is not None and not self._long_poll.done():
            self._long_poll.set_exception(
                ApiError(409, "Conflict: terminated by setWebhook request")
            )
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._webhook_loop(), name="fakebot-webhook")
        self._notify()
        return _Answer(True, "Webhook is already set" if same else "Webhook was set")

    async def _m_delete_webhook(self, p: Params) -> _Answer:
        was_set = bool(self.webhook_url)
        if p.get_bool("drop_pending_updates"):
            self.pending_updates.clear()
        self.webhook_url = ""
        self.webhook_secret = ""
        self._webhook_last_error = None
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._notify()
        return _Answer(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    def _m_get_webhook_info(self, p: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending_updates),
        }
        if self.webhook_url:
            info["max_connections"] = self.webhook_max_connections
            if self.webhook_ip_address:
                info["ip_address"] = self.webhook_ip_address
            if self._webhook_last_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        if self._explicit_allowed_updates is not None:
            info["allowed_updates"] = sorted(self.allowed_updates)
        return info

    async def _webhook_loop(self) -> None:
        while True:
            if not self.pending_updates:
                event = self._changed
                await event.wait()
                continue
            update = self.pending_updates[0]
            delivered = await self._deliver(update)
            if self.pending_updates and self.pending_updates[0] is update:
                self.pending_updates.pop(0)
            if not delivered:
                self.webhook_failed_updates.append(update)
            self._notify()

    async def _deliver(self, update: dict[str, Any]) -> bool:
        assert self._client is not None
        headers = {"Content-Type": "application/json"}
        if self.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        for attempt in range(1, self.webhook_max_attempts + 1):
            status: int | None = None
            error: str | None = None
            try:
                async with self._client.post(
                    self.webhook_url,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
                ) as resp:
                    status = resp.status
                    answer = await resp.read()
                    if not 200 <= status <= 299:
                        error = f"Wrong response from the webhook: {status} {resp.reason}"
                    else:
                        await self.webhook_reply(answer)
            except TimeoutError:
                error = "Read timeout expired"
            except aiohttp.ClientError as exc:
                error = f"Connection refused ({exc.__class__.__name__})"
            self.webhook_deliveries.append(
                WebhookDelivery(update["update_id"], attempt, status, error, self.clock.now())
            )
            self._notify()
            if error is None:
                return True
            self._webhook_last_error = (self.clock.unix(), error)
            if attempt < self.webhook_max_attempts:
                await asyncio.sleep(self.webhook_retry_delay * attempt)
        return False

    async def webhook_reply(self, answer: bytes) -> None:
        """Carry out a method the bot put in its answer to a webhook request, as Telegram does
        (the bot never learns the result). Recorded like any call, http_method "WEBHOOK"."""
        try:
            payload = json.loads(answer) if answer else None
        except ValueError:
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("method"), str):
            return
        values = {k: v for k, v in payload.items() if k != "method"}
        entry = self._methods.get(payload["method"].lower())
        canonical = entry[0] if entry else payload["method"]
        call = RecordedCall(
            method=canonical,
            params={k: _decode_for_record(k, v) for k, v in values.items()},
            raw=values,
            time=self.clock.now(),
            http_method="WEBHOOK",
            content_type="application/json",
        )
        self.calls.append(call)
        self._notify()
        status, body = await self._dispatch(entry, canonical, Params(values, {}), None)
        call.status = status
        call.response = body
        self._notify()

    # ------------------------------------------------------------------ methods: messages

    def _common_send(
        self, p: Params
    ) -> tuple[FakeChat, int | None, FakeMessage | None, dict[str, Any] | None]:
        chat = self._resolve_chat(p)
        self._check_can_write(chat)
        thread_id = self._resolve_thread(chat, p)
        reply_to = self._resolve_reply(chat, p)
        markup = self._parse_markup(p)
        return chat, thread_id, reply_to, markup

    def _m_send_message(self, p: Params) -> dict[str, Any]:
        chat = self._resolve_chat(p)
        self._check_can_write(chat)
        text = p.get_str("text")
        if not text:
            raise _bad_request("message text is empty")
        plain, ents = self._format(
            text,
            p.get_str("parse_mode"),
            p.get_json("entities", "entities"),
            limit=4096,
            empty_error="message text is empty",
            too_long_error="message is too long",
        )
        thread_id = self._resolve_thread(chat, p)
        reply_to = self._resolve_reply(chat, p)
        markup = self._parse_markup(p)
        lpo = p.get_json("link_preview_options", "link preview options")
        msg = self._new_message(
            chat,
            from_user=None if chat.type == "channel" else self.bot,
            sender_chat=chat if chat.type == "channel" else None,
            outgoing=True,
            created_by="sendMessage",
            thread_id=thread_id,
            reply_to=reply_to,
            text=plain,
            entities=ents,
            reply_markup=markup,
            protect_content=p.get_bool("protect_content"),
            disable_notification=p.get_bool("disable_notification"),
            link_preview_options=lpo if isinstance(lpo, dict) else None,
        )
        return msg.to_api()

    def _make_send_media(self, method: str, kind: str) -> Callable[[Params], dict[str, Any]]:
        def handler(p: Params) -> dict[str, Any]:
            chat, thread_id, reply_to, markup = self._common_send(p)
            media = self._input_media(p, kind)
            caption: str | None = None
            cap_ents: list[dict[str, Any]] = []
            if p.has("caption"):
                caption_raw = p.get_str("caption") or ""
                try:
                    caption, cap_ents = self._format(
                        caption_raw,
                        p.get_str("parse_mode"),
                        p.get_json("caption_entities", "caption entities"),
                        limit=1024,
                        empty_error="message caption is empty",
                        too_long_error="message caption is too long",
                    )
                except ApiError as exc:
                    if "caption is empty" not in exc.description:
                        raise
                    caption, cap_ents = None, []
            msg = self._new_message(
                chat,
                from_user=None if chat.type == "channel" else self.bot,
                sender_chat=chat if chat.type == "channel" else None,
                outgoing=True,
                created_by=method,
                thread_id=thread_id,
                reply_to=reply_to,
                media_kind=kind,
                media=media,
                caption=caption,
                caption_entities=cap_ents,
                reply_markup=markup,
                protect_content=p.get_bool("protect_content"),
                disable_notification=p.get_bool("disable_notification"),
            )
            return msg.to_api()

        return handler

    def _input_media(self, p: Params, kind: str) -> Any:
        value = p.get_str(kind)
        upload = p.files.get(kind)
        if value and value.startswith("attach://"):
            upload = p.files.get(value[len("attach://") :])
            value = None
        if upload is not None:
            return self._media_payload(kind, file_size=len(upload.data) or 1)
        if not value:
            raise _bad_request(f'Parameter "{kind}" is required')
        if value.startswith(("http://", "https://")):
            return self._media_payload(kind)
        stored = self.files.get(value)
        if stored is None:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind and not (kind == "document"):
            raise _bad_request(
                f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
            )
        payload = self._media_payload(kind, file_size=stored.file_size)
        # keep the original identifiers, as re-sending a file_id does
        target = payload[-1] if isinstance(payload, list) else payload
        target["file_id"] = stored.file_id
        target["file_unique_id"] = stored.file_unique_id
        return payload

    def _m_send_chat_action(self, p: Params) -> bool:
        chat = self._resolve_chat(p)
        self._check_can_write(chat)
        action = (p.get_str("action") or "").lower()
        valid = {
            "typing", "upload_photo", "record_video", "upload_video", "record_voice",
            "upload_voice", "upload_document", "choose_sticker", "find_location",
            "record_video_note", "upload_video_note", "cancel",
        }  # fmt: skip
        if action not in valid:
            raise _bad_request("wrong parameter action in request")
        self._resolve_thread(chat, p)
        return True

    def _edit_target(self, p: Params) -> tuple[FakeChat, FakeMessage]:
        if p.has("inline_message_id") and not p.has("chat_id"):
            raise _bad_request("MESSAGE_ID_INVALID")
        chat = self._resolve_chat(p)
        if not p.has("message_id"):
            raise _bad_request("message identifier is not specified")
        if chat.type == "private" and chat.blocked:
            raise _forbidden("bot was blocked by the user")
        msg = self._find_message(chat, p.get_int("message_id"), "message to edit")
        if not msg.outgoing or msg.is_service:
            raise _bad_request("message can't be edited")
        return chat, msg

    def _m_edit_message_text(self, p: Params) -> dict[str, Any]:
        _chat, msg = self._edit_target(p)
        text = p.get_str("text")
        if not text:
            raise _bad_request("message text is empty")
        if msg.text is None:
            raise _bad_request("there is no text in the message to edit")
        plain, ents = self._format(
            text,
            p.get_str("parse_mode"),
            p.get_json("entities", "entities"),
            limit=4096,
            empty_error="message text is empty",
            too_long_error="message is too long",
        )
        markup = self._parse_markup(p)
        if plain == msg.text and ents == msg.entities and markup == msg.reply_markup:
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        msg.history.append(
            {"text": msg.text, "entities": msg.entities, "reply_markup": msg.reply_markup}
        )
        msg.text, msg.entities, msg.reply_markup = plain, ents, markup
        msg.edit_date = self.clock.unix()
        lpo = p.get_json("link_preview_options", "link preview options")
        if isinstance(lpo, dict):
            msg.link_preview_options = lpo
        self._notify()
        return msg.to_api()

    def _m_edit_message_caption(self, p: Params) -> dict[str, Any]:
        _chat, msg = self._edit_target(p)
        if msg.media_kind is None:
            raise _bad_request("there is no caption in the message to edit")
        caption_raw = p.get_str("caption") or ""
        caption: str | None
        if caption_raw:
            caption, ents = self._format(
                caption_raw,
                p.get_str("parse_mode"),
                p.get_json("caption_entities", "caption entities"),
                limit=1024,
                empty_error="message caption is empty",
                too_long_error="message caption is too long",
            )
        else:
            caption, ents = None, []
        markup = self._parse_markup(p)
        if caption == msg.caption and ents == msg.caption_entities and markup == msg.reply_markup:
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        msg.history.append({"caption": msg.caption, "reply_markup": msg.reply_markup})
        msg.caption, msg.caption_entities, msg.reply_markup = caption, ents, markup
        msg.edit_date = self.clock.unix()
        self._notify()
        return msg.to_api()

    def _m_edit_message_reply_markup(self, p: Params) -> dict[str, Any]:
        _chat, msg = self._edit_target(p)
        markup = self._parse_markup(p)
        if markup == msg.reply_markup:
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        msg.history.append({"reply_markup": msg.reply_markup})
        msg.reply_markup = markup
        msg.edit_date = self.clock.unix()
        self._notify()
        return msg.to_api()

    def _deletion_error(self, chat: FakeChat, msg: FakeMessage | None) -> str | None:
        if msg is None or msg.deleted:
            return "message to delete not found"
        if "forum_topic_created" in msg.service:
            return "message can't be deleted"
        if self.clock.now() - msg.date >= FORTY_EIGHT_HOURS:
            return "message can't be deleted"
        if chat.type == "private":
            return None
        me = chat.members.get(self.bot.id)
        if me is None or me.status in ("left", "kicked"):
            return "message can't be deleted"
        if msg.outgoing and chat.type != "channel":
            return None
        if me.can("can_delete_messages"):
            return None
        return "message can't be deleted"

    def _mark_deleted(self, msg: FakeMessage) -> None:
        msg.deleted = True
        msg.deleted_at = self.clock.now()

    def _m_delete_message(self, p: Params) -> bool:
        if not p.has("chat_id"):
            raise _bad_request("Chat identifier is not specified")
        if not p.get_int("message_id"):
            raise _bad_request("Message identifier is not specified")
        chat = self._resolve_chat(p)
        msg = chat.messages.get(p.get_int("message_id") or 0)
        error = self._deletion_error(chat, msg)
        if error is not None:
            raise _bad_request(error)
        assert msg is not None
        self._mark_deleted(msg)
        self._notify()
        return True

    def _m_delete_messages(self, p: Params) -> bool:
        chat = self._resolve_chat(p)
        ids = self._message_ids(p, "message_ids")
        for mid in ids:
            msg = chat.messages.get(mid)
            if self._deletion_error(chat, msg) is None:
                assert msg is not None
                self._mark_deleted(msg)
        self._notify()
        return True

    @staticmethod
    def _message_ids(p: Params, name: str) -> list[int]:
        raw = p.values.get(name)
        if raw is None or raw == "":
            raise _bad_request("Message identifiers are not specified")
        value = raw
        if isinstance(raw, str):
            try:
                value = json.loads(raw)
            except ValueError:
                raise _bad_request(f"Can't parse {name} JSON object") from None
        if not isinstance(value, list):
            raise _bad_request("Expected an Array of message identifiers")
        if not value:
            raise _bad_request("Message identifiers are not specified")
        if len(value) > 100:
            raise _bad_request("Too many message identifiers specified")
        ids = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int | str):
                raise _bad_request("Message identifier must be a Number")
            try:
                mid = int(v)
            except ValueError:
                raise _bad_request("Can't parse message identifier as Number") from None
            if mid <= 0:
                raise _bad_request("Invalid message identifier specified")
            ids.append(mid)
        return ids

    def _source(self, p: Params, what: str) -> tuple[FakeChat, list[FakeMessage]]:
        raw = p.get_str("from_chat_id")
        if not raw:
            raise _bad_request("from_chat_id is empty")
        src = self.chats.get(p.get_int("from_chat_id") or 0)
        if src is None:
            raise _bad_request("chat not found")
        ids = (
            [p.get_int("message_id") or 0]
            if what.endswith("message")
            else self._message_ids(p, "message_ids")
        )
        msgs = []
        for mid in ids:
            msg = src.messages.get(mid)
            if msg is None or msg.deleted:
                if what.endswith("message"):
                    raise _bad_request(f"message to {what.split()[0]} not found")
                continue
            if msg.protect_content:
                raise _bad_request("message has protected content and can't be forwarded")
            msgs.append(msg)
        return src, msgs

    def _clone(
        self, chat: FakeChat, original: FakeMessage, p: Params, method: str, *, forward: bool
    ) -> FakeMessage:
        thread_id = self._resolve_thread(chat, p)
        fields: dict[str, Any] = {
            "text": original.text,
            "entities": list(original.entities),
            "media_kind": original.media_kind,
            "media": original.media,
            "caption": original.caption,
            "caption_entities": list(original.caption_entities),
            "protect_content": p.get_bool("protect_content"),
            "disable_notification": p.get_bool("disable_notification"),
        }
        if forward:
            if original.from_user is not None:
                origin: dict[str, Any] = {
                    "type": "user",
                    "date": original.date,
                    "sender_user": original.from_user.to_api(),
                }
            else:
                origin = {
                    "type": "channel",
                    "date": original.date,
                    "chat": original.chat.to_api(),
                    "message_id": original.message_id,
                }
            fields["forward_origin"] = origin
        else:
            if p.has("caption") and original.media_kind is not None:
                fields["caption"], fields["caption_entities"] = self._format(
                    p.get_str("caption") or "",
                    p.get_str("parse_mode"),
                    p.get_json("caption_entities", "caption entities"),
                    limit=1024,
                    empty_error="message caption is empty",
                    too_long_error="message caption is too long",
                )
            fields["reply_markup"] = self._parse_markup(p)
        return self._new_message(
            chat,
            from_user=self.bot,
            outgoing=True,
            created_by=method,
            thread_id=thread_id,
            reply_to=None if forward else self._resolve_reply(chat, p),
            **fields,
        )

    def _m_copy_message(self, p: Params) -> dict[str, Any]:
        chat = self._resolve_chat(p)
        self._check_can_write(chat)
        _, [original] = self._source(p, "copy message")
        if original.is_service:
            raise _bad_request("message can't be copied")
        msg = self._clone(chat, original, p, "copyMessage", forward=False)
        return {"message_id": msg.message_id}

    def _m_copy_messages(self, p: Params) -> list[dict[str, Any]]:
        chat = self._resolve_chat(p)
        self._check_can_write(chat)
        _, originals = self._source(p, "copy messages")
        return [
            {"message_id": self._clone(chat, o, p, "copyMessages", forward=False).message_id}
            for o in originals
            if not o.is_service
        ]

    def _m_forward_message(self, p: Params) -> dict[str, Any]:
        chat = self._resolve_chat(p)
        self._check_can_write(chat)
        _, [original] = self._source(p, "forward message")
        return self._clone(chat, original, p, "forwardMessage", forward=True).to_api()

    def _m_forward_messages(self, p: Params) -> list[dict[str, Any]]:
        chat = self._resolve_chat(p)
        self._check_can_write(chat)
        _, originals = self._source(p, "forward messages")
        return [
            {"message_id": self._clone(chat, o, p, "forwardMessages", forward=True).message_id}
            for o in originals
        ]

    def _m_get_file(self, p: Params) -> dict[str, Any]:
        file_id = p.get_str("file_id") or ""
        if not file_id:
            raise _bad_request('Parameter "file_id" is required')
        stored = self.files.get(file_id)
        if stored is None:
            raise _bad_request("invalid file_id")
        if stored.file_size > 20 * 1024 * 1024:
            raise _bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    # ------------------------------------------------------------------ methods: queries

    def _m_answer_callback_query(self, p: Params) -> bool:
        qid = p.get_str("callback_query_id") or ""
        query = self.callback_queries.get(qid)
        too_old = (
            query is not None and self.clock.now() - query.created > self.callback_query_timeout
        )
        if query is None or query.answered or too_old:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = p.get_str("text") or ""
        if len(text) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        query.answer = {
            "text": text or None,
            "show_alert": p.get_bool("show_alert"),
            "url": p.get_str("url"),
            "cache_time": p.get_int("cache_time", 0),
        }
        self._notify()
        return True

    def _m_answer_inline_query(self, p: Params) -> bool:
        qid = p.get_str("inline_query_id") or ""
        query = self.inline_queries.get(qid)
        if query is None or query["answered"]:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        results = p.get_json("results", "inline query results")
        if not isinstance(results, list):
            raise _bad_request("Expected an Array of InlineQueryResult")
        if len(results) > 50:
            raise _bad_request("RESULTS_TOO_MUCH")
        query["answered"] = True
        query["answer"] = results
        self._notify()
        return True

    # ------------------------------------------------------------------ methods: commands, profile

    def _scope_key(self, scope: Any) -> str:
        if scope is None:
            return "default"
        if not isinstance(scope, dict):
            raise _bad_request("Object expected as bot command scope")
        kind = scope.get("type")
        plain = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}
        if kind in plain:
            return str(kind)
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat_id = scope.get("chat_id")
            if chat_id in (None, ""):
                raise _bad_request("chat_id is empty")
            try:
                cid = int(chat_id)
            except (TypeError, ValueError):
                raise _bad_request("chat not found") from None
            if cid not in self.chats:
                raise _bad_request("chat not found")
            if kind == "chat_member":
                uid = scope.get("user_id")
                if not uid:
                    raise _bad_request("Invalid user_id specified")
                return f"chat_member:{cid}:{int(uid)}"
            return f"{kind}:{cid}"
        raise _bad_request("Unsupported scope type specified")

    @staticmethod
    def _language_code(p: Params) -> str:
        code = p.get_str("language_code") or ""
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise _bad_request("invalid language code specified")
        return code

    def _m_set_my_commands(self, p: Params) -> bool:
        raw = p.values.get("commands")
        if raw is None or raw == "":
            raise _bad_request('Parameter "commands" is required')
        commands = p.get_json("commands", "bot commands")
        if not isinstance(commands, list):
            raise _bad_request("Expected an Array of BotCommand")
        if len(commands) > 100:
            raise _bad_request("Too many bot commands specified")
        clean = []
        for c in commands:
            if not isinstance(c, dict) or not isinstance(c.get("command"), str):
                raise _bad_request(
                    'Can\'t parse BotCommand: Field "command" must be of type String'
                )
            command = c["command"]
            description = c.get("description")
            if not isinstance(description, str):
                raise _bad_request(
                    'Can\'t parse BotCommand: Field "description" must be of type String'
                )
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.removeprefix("/")):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description.strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": command.removeprefix("/"), "description": description})
        key = (self._scope_key(p.get_json("scope", "bot command scope")), self._language_code(p))
        if clean:
            self.commands[key] = clean
        else:
            self.commands.pop(key, None)
        self._notify()
        return True

    def _m_get_my_commands(self, p: Params) -> list[dict[str, str]]:
        key = (self._scope_key(p.get_json("scope", "bot command scope")), self._language_code(p))
        return list(self.commands.get(key, []))

    def _m_delete_my_commands(self, p: Params) -> bool:
        key = (self._scope_key(p.get_json("scope", "bot command scope")), self._language_code(p))
        self.commands.pop(key, None)
        self._notify()
        return True

    def _set_profile_text(self, p: Params, store: dict[str, str], field: str, limit: int) -> bool:
        value = p.get_str(field) or ""
        if len(value) > limit:
            raise _bad_request(f"{field.replace('_', ' ')} is too long")
        lang = self._language_code(p)
        if value:
            store[lang] = value
        else:
            store.pop(lang, None)
        self._notify()
        return True

    def _m_set_my_description(self, p: Params) -> bool:
        return self._set_profile_text(p, self.bot_descriptions, "description", 512)

    def _m_get_my_description(self, p: Params) -> dict[str, str]:
        return {"description": self.bot_descriptions.get(self._language_code(p), "")}

    def _m_set_my_short_description(self, p: Params) -> bool:
        return self._set_profile_text(p, self.bot_short_descriptions, "short_description", 120)

    def _m_get_my_short_description(self, p: Params) -> dict[str, str]:
        return {"short_description": self.bot_short_descriptions.get(self._language_code(p), "")}

    def _m_set_my_name(self, p: Params) -> bool:
        return self._set_profile_text(p, self.bot_names, "name", 64)

    def _m_get_my_name(self, p: Params) -> dict[str, str]:
        return {"name": self.bot_names.get(self._language_code(p), self.bot.first_name)}

    # ------------------------------------------------------------------ methods: chats

    def _m_leave_chat(self, p: Params) -> bool:
        chat = self._resolve_chat(p)
        if chat.type == "private":
            raise _bad_request("chat member status can't be changed in private chats")
        me = chat.members.get(self.bot.id)
        if me is None or me.status in ("left", "kicked"):
            raise _forbidden(f"bot is not a member of the {chat.type} chat")
        old = me.to_api(chat.type)
        self.set_bot_membership(chat, "left")
        self._enqueue_update(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": self.bot.to_api(),
                "date": self.clock.unix(),
                "old_chat_member": old,
                "new_chat_member": {"status": "left", "user": self.bot.to_api()},
            },
        )
        return True

    def _m_get_chat(self, p: Params) -> dict[str, Any]:
        chat = self._resolve_chat(p)
        if chat.is_group_like or chat.type == "channel":
            me = chat.members.get(self.bot.id)
            if me is None or me.status in ("left", "kicked"):
                raise _bad_request("chat not found")
        return chat.to_full_info()

    def _m_get_chat_member(self, p: Params) -> dict[str, Any]:
        chat = self._resolve_chat(p)
        user_id = p.get_int("user_id") or 0
        if user_id <= 0:
            raise _bad_request("Invalid user_id specified")
        user = self.users.get(user_id)
        if user is None:
            raise _bad_request("user not found")
        member = chat.members.get(user_id)
        if member is None:
            if chat.type == "private":
                raise _bad_request("user not found")
            return {"status": "left", "user": user.to_api()}
        return member.to_api(chat.type)

    def _m_get_chat_administrators(self, p: Params) -> list[dict[str, Any]]:
        chat = self._resolve_chat(p)
        if chat.type == "private":
            raise _bad_request("there are no administrators in the private chat")
        return [
            m.to_api(chat.type) for m in chat.members.values() if m.is_admin and not m.user.is_bot
        ]

    def _m_get_chat_member_count(self, p: Params) -> int:
        chat = self._resolve_chat(p)
        return sum(1 for m in chat.members.values() if m.status not in ("left", "kicked"))

    # ------------------------------------------------------------------ methods: forum topics

    def _forum(self, p: Params, right_error: str) -> FakeChat:
        chat = self._resolve_chat(p)
        if not chat.is_forum:
            raise _bad_request("the chat is not a forum")
        me = chat.members.get(self.bot.id)
        if me is None or me.status in ("left", "kicked"):
            raise _forbidden(f"bot is not a member of the {chat.type} chat")
        if not me.can("can_manage_topics"):
            raise _bad_request(right_error)
        return chat

    def _topic(self, chat: FakeChat, p: Params) -> FakeTopic:
        thread_id = p.get_int("message_thread_id") or 0
        topic = chat.topics.get(thread_id)
        if topic is None or topic.is_deleted:
            raise _bad_request("message thread not found")
        return topic

    def _m_create_forum_topic(self, p: Params) -> dict[str, Any]:
        chat = self._forum(p, "not enough rights to create a topic")
        name = (p.get_str("name") or "").strip()
        if not name:
            raise _bad_request('Parameter "name" is required')
        if len(name) > 128:
            raise _bad_request("TOPIC_TITLE_INVALID")
        icon_color = p.get_int("icon_color")
        if icon_color is None:
            icon_color = FORUM_ICON_COLORS[len(chat.topics) % len(FORUM_ICON_COLORS)]
        elif icon_color not in FORUM_ICON_COLORS:
            raise _bad_request("Invalid icon_color specified")
        emoji = p.get_str("icon_custom_emoji_id") or None
        topic = self._create_topic(chat, name, icon_color, emoji, self.bot)
        return topic.to_api()

    def _m_edit_forum_topic(self, p: Params) -> bool:
        chat = self._forum(p, "CHAT_ADMIN_REQUIRED")
        topic = self._topic(chat, p)
        name = p.get_str("name")
        emoji = p.get_str("icon_custom_emoji_id")
        if name is not None and len(name) > 128:
            raise _bad_request("TOPIC_TITLE_INVALID")
        new_name = name if name else topic.name
        new_emoji = topic.icon_custom_emoji_id if emoji is None else (emoji or None)
        if new_name == topic.name and new_emoji == topic.icon_custom_emoji_id:
            raise _bad_request("TOPIC_NOT_MODIFIED")
        topic.name, topic.icon_custom_emoji_id = new_name, new_emoji
        edited: dict[str, Any] = {}
        if name:
            edited["name"] = new_name
        if emoji is not None:
            edited["icon_custom_emoji_id"] = emoji
        self._new_message(
            chat, from_user=self.bot, outgoing=True, created_by="editForumTopic",
            thread_id=topic.message_thread_id, service={"forum_topic_edited": edited},
        )  # fmt: skip
        return True

    def _toggle_topic(self, p: Params, closed: bool) -> bool:
        chat = self._forum(p, "CHAT_ADMIN_REQUIRED")
        topic = self._topic(chat, p)
        if topic.is_closed == closed:
            raise _bad_request("TOPIC_NOT_MODIFIED")
        topic.is_closed = closed
        self._new_message(
            chat, from_user=self.bot, outgoing=True,
            created_by="closeForumTopic" if closed else "reopenForumTopic",
            thread_id=topic.message_thread_id,
            service={"forum_topic_closed" if closed else "forum_topic_reopened": {}},
        )  # fmt: skip
        return True

    def _m_close_forum_topic(self, p: Params) -> bool:
        return self._toggle_topic(p, True)

    def _m_reopen_forum_topic(self, p: Params) -> bool:
        return self._toggle_topic(p, False)

    def _m_delete_forum_topic(self, p: Params) -> bool:
        chat = self._resolve_chat(p)
        if not chat.is_forum:
            raise _bad_request("the chat is not a forum")
        me = chat.members.get(self.bot.id)
        if me is None or not (me.can("can_delete_messages") or me.can("can_manage_topics")):
            raise _bad_request("CHAT_ADMIN_REQUIRED")
        topic = self._topic(chat, p)
        self._delete_topic(chat, topic.message_thread_id)
        return True
