"""The webhook worker: an aiohttp app around the Telegram service.

Run N of these behind a load balancer on one database: every update is applied at most once
(the store records its update_id with the state change, and the replies in the outbox), one
chat's updates never older over newer (see the README, "Order across workers"). A request is
acknowledged (200) only after that commit; a store outage, a shutdown or an update that takes
too long answers 503, so Telegram delivers it again.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlparse

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from telegram import Update
from telegram.error import BadRequest

from bot.channels.telegram import ALLOWED_UPDATES, TelegramService
from bot.channels.telegram.sender import WEBHOOK_ANSWER, WebhookAnswer
from bot.metrics import WEBHOOK_REJECTED
from bot.store import StoreUnavailable
from bot.web.body import BadBody, parse_body

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # Telegram updates are far smaller; anything bigger is not Telegram


def webhook_path(url: str | None) -> str:
    path = urlparse(url or "").path
    return path if path and path != "/" else "/telegram"


def make_app(service: TelegramService, register: bool = True) -> web.Application:
    settings = service.settings
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    metrics_token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    app = web.Application(client_max_size=MAX_BODY)

    async def telegram(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            WEBHOOK_REJECTED.labels(reason="no_secret").inc()
            return web.Response(status=401)
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            WEBHOOK_REJECTED.labels(reason="wrong_secret").inc()
            return web.Response(status=403)
        try:
            update = Update.de_json(parse_body(await request.read()), service.application.bot)
        except Exception as exc:  # BadBody, or a shape PTB's own parser refuses
            WEBHOOK_REJECTED.labels(reason="bad_body").inc()
            log.info("webhook: refused a body (%s)", exc if isinstance(exc, BadBody) else "shape")
            return web.Response(status=400)
        if not service.started:  # shutting down: Telegram delivers it to another worker
            return web.Response(status=503)
        answer = WebhookAnswer()  # the button's answer, if any, goes back with the 200
        reset = WEBHOOK_ANSWER.set(answer)
        try:
            # Bounded (half the shutdown time), so that shutdown is: what does not finish in
            # time is handed back to Telegram.
            async with asyncio.timeout(settings.shutdown_seconds / 2):
                await service.bridge.handle(update)  # raises on failure: Telegram retries
        except TimeoutError:
            log.warning(
                "webhook: an update took over %d s; left to Telegram", settings.shutdown_seconds
            )
            return await _refused(answer)
        except StoreUnavailable:  # not applied: Telegram delivers it again (logged by the bridge)
            return await _refused(answer)
        except BadRequest as exc:  # Telegram refused a reply for good: a retry cannot help
            log.warning("an update's reply was refused by Telegram: %s", type(exc).__name__)
        finally:
            WEBHOOK_ANSWER.reset(reset)
        body = answer.close()
        return web.json_response(body) if body else web.Response(status=200)

    async def _refused(answer: WebhookAnswer) -> web.Response:
        """503: Telegram ignores the body, so a button's answer is sent on its own."""
        body = answer.close()
        if body is not None:
            await service.sender.answer_callback(body["callback_query_id"], body.get("text"))
        return web.Response(status=503)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        ready = service.started and await service.store.ping(write=True)
        return web.json_response({"ready": ready}, status=200 if ready else 503)

    async def metrics(request: web.Request) -> web.Response:
        """Counts only, but still not for anyone who can reach the port: a bearer token."""
        given = request.headers.get("Authorization", "")
        if not metrics_token or not hmac.compare_digest(
            given.encode(), f"Bearer {metrics_token}".encode()
        ):
            return web.Response(status=404 if not metrics_token else 401)
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        await service.start()
        if register:
            await service.application.bot.set_webhook(
                settings.webhook_url or "",
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                max_connections=40,
            )
            log.info("webhook registered")
        try:
            yield
        finally:
            await service.stop()

    async def stopping(_: web.Application) -> None:
        service.started = False  # from now on updates go back to Telegram (503)

    app.on_shutdown.append(stopping)
    app.router.add_post(webhook_path(settings.webhook_url), telegram)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.cleanup_ctx.append(lifecycle)
    return app
