"""A fake Telegram Bot API server for end-to-end tests of the real PTB Application.

from tests.fakebot import FakeBotApi

async with FakeBotApi() as api:
    app = ApplicationBuilder().token(api.token).base_url(api.url_for_ptb).build()
"""

from .markup import EntityParseError, auto_entities, parse_html, parse_markdown_v2, utf16_len
from .models import (
    ADMIN_RIGHTS,
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
from .server import DEFAULT_BOT_RIGHTS, FakeBotApi, Params, StoredFile

__all__ = [
    "ADMIN_RIGHTS",
    "DEFAULT_BOT_RIGHTS",
    "FORUM_ICON_COLORS",
    "ApiError",
    "EntityParseError",
    "FakeBotApi",
    "FakeChat",
    "FakeClock",
    "FakeMember",
    "FakeMessage",
    "FakeTopic",
    "FakeUser",
    "FileUpload",
    "Params",
    "RecordedCall",
    "StoredFile",
    "WebhookDelivery",
    "auto_entities",
    "parse_html",
    "parse_markdown_v2",
    "utf16_len",
]
