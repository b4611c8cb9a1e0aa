"""The simulated Telegram world of the fake Bot API: users, chats, messages, topics, calls.

Every ``to_api()`` returns a dict shaped exactly like the Bot API object of the same name
(field names and optional-field omission as in the real JSON), so PTB's ``de_json`` accepts
it and tests can compare against documented payloads.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ADMIN_RIGHTS",
    "ApiError",
    "FakeChat",
    "FakeClock",
    "FakeMember",
    "FakeMessage",
    "FakeTopic",
    "FakeUser",
    "FileUpload",
    "RecordedCall",
    "WebhookDelivery",
]

FORTY_EIGHT_HOURS = 48 * 3600

#: Administrator rights of ChatMemberAdministrator (all required booleans plus the optional
#: ones that matter for supergroups).  ``FakeMember.rights`` holds a subset set to True.
ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
)

#: Forum topic icon colours accepted by createForumTopic (telegram.constants.ForumIconColor).
FORUM_ICON_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status == error_code, plus the description."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class FakeClock:
    """The server's clock.  Real time by default; ``advance()`` moves it forward.

    ``freeze()`` stops it at the current instant (handy for exact date assertions).
    Only the fake's notion of time moves: no asyncio timer is affected.
    """

    def __init__(self, start: float | None = None) -> None:
        self._offset = 0.0 if start is None else start - time.time()
        self._frozen: float | None = None

    def now(self) -> float:
        if self._frozen is not None:
            return self._frozen
        return time.time() + self._offset

    def unix(self) -> int:
        """Whole seconds, like every ``date`` field of the Bot API."""
        return int(self.now())

    def advance(
        self, seconds: float = 0.0, *, minutes: float = 0.0, hours: float = 0.0, days: float = 0.0
    ) -> float:
        delta = seconds + minutes * 60 + hours * 3600 + days * 86400
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta
        return self.now()

    def set(self, timestamp: float) -> None:
        if self._frozen is not None:
            self._frozen = timestamp
        else:
            self._offset = timestamp - time.time()

    def freeze(self) -> None:
        self._frozen = self.now()

    def unfreeze(self) -> None:
        if self._frozen is not None:
            self._offset = self._frozen - time.time()
            self._frozen = None


@dataclass
class FakeUser:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    is_premium: bool | None = None

    def to_api(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            d["last_name"] = self.last_name
        if self.username:
            d["username"] = self.username
        if self.language_code:
            d["language_code"] = self.language_code
        if self.is_premium:
            d["is_premium"] = True
        return d

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass
class FakeMember:
    """A chat membership.  ``status`` is creator/administrator/member/restricted/left/kicked."""

    user: FakeUser
    status: str = "member"
    rights: set[str] = field(default_factory=set)
    custom_title: str | None = None
    until_date: int = 0

    def can(self, right: str) -> bool:
        if self.status == "creator":
            return True
        return self.status == "administrator" and right in self.rights

    @property
    def is_admin(self) -> bool:
        return self.status in ("creator", "administrator")

    def to_api(self, chat_type: str) -> dict[str, Any]:
        d: dict[str, Any] = {"status": self.status, "user": self.user.to_api()}
        if self.status == "creator":
            d["is_anonymous"] = False
            if self.custom_title:
                d["custom_title"] = self.custom_title
        elif self.status == "administrator":
            for right in ADMIN_RIGHTS:
                if right == "can_manage_topics" and chat_type != "supergroup":
                    continue
                d[right] = right in self.rights
            if self.custom_title:
                d["custom_title"] = self.custom_title
        elif self.status == "restricted":
            d.update(
                {
                    "is_member": True, "can_send_messages": False, "can_send_audios": False,
                    "can_send_documents": False, "can_send_photos": False,
                    "can_send_videos": False, "can_send_video_notes": False,
                    "can_send_voice_notes": False, "can_send_polls": False,
                    "can_send_other_messages": False, "can_add_web_page_previews": False,
                    "can_change_info": False, "can_invite_users": False,
                    "can_pin_messages": False, "can_manage_topics": False,
                    "can_edit_tag": False, "until_date": self.until_date,
                }
            )  # fmt: skip
        elif self.status == "kicked":
            d["until_date"] = self.until_date
        return d


@dataclass
class FakeTopic:
    message_thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    is_closed: bool = False
    is_deleted: bool = False
    created_by: int | None = None

    def to_api(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            d["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return d


@dataclass
class FakeChat:
    id: int
    type: str  # private / group / supergroup / channel
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False
    description: str | None = None
    members: dict[int, FakeMember] = field(default_factory=dict)
    messages: dict[int, FakeMessage] = field(default_factory=dict)
    topics: dict[int, FakeTopic] = field(default_factory=dict)
    #: private chats: whether the user has ever written to the bot (else 403 on send)
    started: bool = False
    #: private chats: the user blocked the bot
    blocked: bool = False
    next_message_id: int = 1

    def to_api(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            if self.first_name:
                d["first_name"] = self.first_name
            if self.last_name:
                d["last_name"] = self.last_name
            if self.username:
                d["username"] = self.username
        else:
            d["title"] = self.title or ""
            if self.username:
                d["username"] = self.username
            if self.is_forum:
                d["is_forum"] = True
        return d

    def to_full_info(self) -> dict[str, Any]:
        """ChatFullInfo as returned by getChat (the required fields of Bot API 9.x/10.x)."""
        d = self.to_api()
        d.update(
            {
                "accent_color_id": abs(self.id) % 7,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        if self.description:
            d["description"] = self.description
        if self.type in ("group", "supergroup"):
            d["permissions"] = {
                "can_send_messages": True, "can_send_audios": True, "can_send_documents": True,
                "can_send_photos": True, "can_send_videos": True, "can_send_video_notes": True,
                "can_send_voice_notes": True, "can_send_polls": True,
                "can_send_other_messages": True, "can_add_web_page_previews": True,
                "can_change_info": False, "can_invite_users": True, "can_pin_messages": False,
                "can_manage_topics": False,
            }  # fmt: skip
        return d

    def member(self, user_id: int) -> FakeMember | None:
        return self.members.get(user_id)

    def visible_messages(self) -> list[FakeMessage]:
        return [m for m in self.messages.values() if not m.deleted]

    @property
    def is_group_like(self) -> bool:
        return self.type in ("group", "supergroup")


@dataclass
class FakeMessage:
    """One message in a chat, in either direction.  ``outgoing`` means sent by the bot."""

    message_id: int
    chat: FakeChat
    date: int
    from_user: FakeUser | None = None
    sender_chat: FakeChat | None = None
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    #: photo/video/document/voice/video_note/sticker/animation/audio, or None for text
    media_kind: str | None = None
    media: Any = None
    reply_markup: dict[str, Any] | None = None
    message_thread_id: int | None = None
    is_topic_message: bool = False
    protect_content: bool = False
    disable_notification: bool = False
    link_preview_options: dict[str, Any] | None = None
    reply_to: FakeMessage | None = None
    edit_date: int | None = None
    deleted: bool = False
    deleted_at: float | None = None
    outgoing: bool = False
    #: the Bot API method that created it ("sendMessage", "copyMessage", ...) or "user"
    created_by: str = "user"
    forward_origin: dict[str, Any] | None = None
    #: service-message fields (new_chat_members, forum_topic_created, ...)
    service: dict[str, Any] = field(default_factory=dict)
    #: previous versions of the text, oldest first
    history: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def is_service(self) -> bool:
        return bool(self.service)

    @property
    def content(self) -> str | None:
        """The text or caption."""
        return self.text if self.text is not None else self.caption

    def inline_buttons(self) -> list[dict[str, Any]]:
        """All inline keyboard buttons, flattened, in reading order."""
        if not self.reply_markup:
            return []
        return [b for row in self.reply_markup.get("inline_keyboard", []) for b in row]

    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.inline_buttons() if "callback_data" in b]

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {"message_id": self.message_id}
        if self.message_thread_id is not None:
            d["message_thread_id"] = self.message_thread_id
        if self.from_user is not None:
            d["from"] = self.from_user.to_api()
        if self.sender_chat is not None:
            d["sender_chat"] = self.sender_chat.to_api()
        d["date"] = self.date
        d["chat"] = self.chat.to_api()
        if self.forward_origin is not None:
            d["forward_origin"] = copy.deepcopy(self.forward_origin)
        if self.is_topic_message:
            d["is_topic_message"] = True
        if with_reply and self.reply_to is not None:
            d["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.edit_date is not None:
            d["edit_date"] = self.edit_date
        if self.protect_content:
            d["has_protected_content"] = True
        if self.text is not None:
            d["text"] = self.text
            if self.entities:
                d["entities"] = copy.deepcopy(self.entities)
        if self.link_preview_options is not None:
            d["link_preview_options"] = copy.deepcopy(self.link_preview_options)
        if self.media_kind is not None:
            d[self.media_kind] = copy.deepcopy(self.media)
            if self.media_kind == "animation":
                # the real API also sends the animation as a document, for old clients
                doc = {
                    k: v for k, v in self.media.items() if k not in ("width", "height", "duration")
                }
                d["document"] = doc
        if self.caption is not None:
            d["caption"] = self.caption
            if self.caption_entities:
                d["caption_entities"] = copy.deepcopy(self.caption_entities)
        for key, value in self.service.items():
            d[key] = copy.deepcopy(value)
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            d["reply_markup"] = copy.deepcopy(self.reply_markup)
        d.update(copy.deepcopy(self.extra))
        return d


@dataclass
class FileUpload:
    """A file sent by the bot in a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedCall:
    """One HTTP request to the fake, recorded before it is processed."""

    method: str
    params: dict[str, Any]
    raw: dict[str, Any]
    time: float
    http_method: str = "POST"
    content_type: str = ""
    files: dict[str, FileUpload] = field(default_factory=dict)
    status: int | None = None  # HTTP status of the answer, None while in flight
    response: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def description(self) -> str | None:
        return None if self.response is None else self.response.get("description")

    @property
    def result(self) -> Any:
        return None if self.response is None else self.response.get("result")


@dataclass
class WebhookDelivery:
    """One POST attempt to the webhook URL."""

    update_id: int
    attempt: int
    status: int | None  # None when the connection failed
    error: str | None
    time: float
