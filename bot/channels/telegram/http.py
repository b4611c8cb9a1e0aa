"""python-telegram-bot's requests over aiohttp (already the webhook's server) instead of httpx.

PTB's default HTTPXRequest costs several times the CPU per Bot API call of an aiohttp client
session on the same loop (measured in README "Benchmarks"); the bot makes one or two calls per
update. PTB keeps everything else: the JSON and the error mapping (`BaseRequest.post`); the
bot paces its own sends (pacer.py). The bot never uploads files, so a request with files is
refused.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, RequestData

POOL_TIMEOUT_S = 10.0  # waiting for a free connection (64 by default: the sender uses 16)


class AiohttpRequest(BaseRequest):
    """One aiohttp session (`connections` at most) for all of a bot's Bot API calls."""

    __slots__ = ("_connect", "_connections", "_read", "_session", "_write")

    def __init__(
        self,
        connections: int = 64,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
    ) -> None:
        self._connections = connections
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        if request_data is not None and request_data.contains_files:
            raise NetworkError("AiohttpRequest does not upload files")
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = POOL_TIMEOUT_S if isinstance(pool_timeout, DefaultValue) else pool_timeout
        data = request_data.json_parameters if request_data is not None else None
        return await self._request(method, url, data, read, connect, pool)

    async def _request(
        self,
        method: str,
        url: str,
        data: dict[str, str] | None,
        read: float | None,
        connect: float | None,
        pool: float | None,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        # aiohttp has no write timeout of its own: a request body here is a few kilobytes.
        # `connect` covers waiting for a free connection and opening it.
        waiting = None if pool is None or connect is None else pool + connect
        timeout = aiohttp.ClientTimeout(sock_connect=connect, sock_read=read, connect=waiting)
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as resp:
                return resp.status, await resp.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    async def call(self, url: str, params: dict[str, Any], read_timeout: float | None) -> Any:
        """One Bot API call with plain JSON parameters; its `result` as plain JSON.

        For the outbox, which needs a sent message's id and nothing else: going through PTB's
        `Bot` methods built a keyboard object from the stored one, serialised it again, and
        parsed every answer into a `Message` (about 0.8 ms of CPU per send, measured). The
        failures are PTB's own exceptions, mapped as `BaseRequest` maps them, so the retries
        and fallbacks that rely on them (RetryAfter, BadRequest, Forbidden, TimedOut...) work
        the same either way (tests/channels/telegram/test_http.py).
        """
        data = {
            name: value if isinstance(value, str) else json.dumps(value)
            for name, value in params.items()
            if value is not None
        }
        code, payload = await self._request(
            "POST", url, data, read_timeout, self._connect, POOL_TIMEOUT_S
        )
        if 200 <= code <= 299:
            return self.parse_json_payload(payload)["result"]
        raise _failure(code, payload)


def _failure(code: int, payload: bytes) -> TelegramError:
    """The exception PTB raises for this HTTP answer (`BaseRequest._request_wrapper`)."""
    try:
        message = f"{HTTPStatus(code).phrase} ({code})"
    except ValueError:
        message = f"Unknown HTTPError ({code})"
    try:
        answer = json.loads(payload.decode("utf-8", "replace"))
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        message = answer.get("description") or message
        parameters = answer.get("parameters")
        if isinstance(parameters, dict):
            if parameters.get("migrate_to_chat_id"):
                return ChatMigrated(parameters["migrate_to_chat_id"])
            if parameters.get("retry_after"):
                return RetryAfter(parameters["retry_after"])
    if code == HTTPStatus.FORBIDDEN:
        return Forbidden(message)
    if code in (HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED):
        return InvalidToken(message)
    if code == HTTPStatus.BAD_REQUEST:
        return BadRequest(message)
    if code == HTTPStatus.CONFLICT:
        return Conflict(message)
    return NetworkError(message)
