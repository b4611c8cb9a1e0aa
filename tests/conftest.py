"""Shared fixtures: the real flow, resource directory and catalogs shipped in the repo."""

from __future__ import annotations

import os

import pytest

from bot.config import Settings
from bot.runtime import Runtime, load_runtime

os.environ.setdefault("PTB_TIMEDELTA", "true")


@pytest.fixture(scope="session")
def runtime() -> Runtime:
    return load_runtime(Settings(_env_file=None))  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def locales(runtime: Runtime) -> list[str]:
    return list(runtime.catalogs.codes)
