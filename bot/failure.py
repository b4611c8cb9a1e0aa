"""How a `helpline` command fails, shared by bot.cli and the store's commands."""

from __future__ import annotations

import sys

import click


def fail(message: str, code: int = 2) -> None:
    """One clear line on stderr and a non-zero exit: never a traceback for the operator."""
    click.echo(f"helpline: {message}", err=True)
    sys.exit(code)
