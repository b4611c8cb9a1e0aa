"""The Telegram channel: python-telegram-bot 22 in polling or webhook mode."""

from bot.channels.telegram.bridge import Bridge, Desk
from bot.channels.telegram.service import (
    ALLOWED_UPDATES,
    StartupError,
    TelegramService,
    config_problems,
)

__all__ = [
    "ALLOWED_UPDATES",
    "Bridge",
    "Desk",
    "StartupError",
    "TelegramService",
    "config_problems",
]
