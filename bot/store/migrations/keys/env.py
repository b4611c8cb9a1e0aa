"""Alembic environment: see bot.store.migrate."""

from bot.store.migrate import run_env

run_env()
