"""The yardstick: a bare python-telegram-bot bot on aiohttp that echoes, with no store.

Run by `python -m bot.bench` as its own process, on the same stream of updates as the helpline
bot, so the table shows what the helpline's own work costs on top of PTB itself.
"""

from __future__ import annotations

import asyncio
import os

from aiohttp import web
from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler


async def _echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    text = update.message.text if update.message and update.message.text else "ok"
    await update.get_bot().send_message(chat.id, text)


async def main() -> None:
    api = os.environ["HELPLINE_TELEGRAM_API_URL"]
    host, _, port = os.environ["HELPLINE_LISTEN"].rpartition(":")
    app = (
        Application.builder()
        .token(os.environ["HELPLINE_TELEGRAM_TOKEN"])
        .base_url(f"{api}/bot")
        .updater(None)
        .concurrent_updates(64)
        .build()
    )
    app.add_handler(TypeHandler(Update, _echo))

    async def webhook(request: web.Request) -> web.Response:
        await app.process_update(Update.de_json(await request.json(), app.bot))
        return web.Response()

    async def ready(_: web.Request) -> web.Response:
        return web.json_response({"ready": True})

    server = web.Application()
    server.router.add_post("/telegram", webhook)
    server.router.add_get("/readyz", ready)
    async with app:
        runner = web.AppRunner(server, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, int(port)).start()
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
