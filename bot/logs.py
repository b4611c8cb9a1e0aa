"""Logging that cannot leak: libraries that print updates or URLs are held at WARNING, and a
last-line filter masks long numbers (Telegram ids) and the bot token in every record."""

from __future__ import annotations

import logging
import re

_LONG_NUMBER = re.compile(r"(?<![\w.])-?\d{6,}(?![\w.])")
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
QUIET = (
    "httpx",
    "httpcore",
    "telegram",
    "telegram.ext",
    "apscheduler",
    "aiohttp.access",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "asyncio",
)


class Redact(logging.Filter):
    """Mask ids and tokens in the final message, whatever the logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = _LONG_NUMBER.sub("<id>", _TOKEN.sub("<token>", message))
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = _LONG_NUMBER.sub(
                "<id>", _TOKEN.sub("<token>", logging.Formatter().formatException(record.exc_info))
            )
            record.exc_info = None
        return True


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
