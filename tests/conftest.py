"""Shared fixtures: the real flow, resource directory and catalogs shipped in the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import Settings
from bot.runtime import Runtime, load_runtime, save_cache

os.environ.setdefault("PTB_TIMEDELTA", "true")
TYPED_BEFORE_SAVING = "my neighbour zqxjkword waters the plants"


@pytest.fixture(scope="session")
def runtime() -> Runtime:
    return load_runtime(Settings(_env_file=None))  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def locales(runtime: Runtime) -> list[str]:
    return list(runtime.catalogs.codes)


@pytest.fixture(scope="session")
def startup_cache(runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the start-up cache of the shipped data, as the first `helpline run`
    leaves it. A demo or bot started in a subprocess with it loads in a fraction of a second
    instead of checking and building everything again (tests/test_runtime.py tests building)."""
    data_dir = tmp_path_factory.mktemp("startup") / "data"
    # A running bot saves it after serving messages: tests/test_runtime.py checks that the
    # cache holds nothing a survivor typed, such as this.
    assert runtime.engine.crisis.match(TYPED_BEFORE_SAVING) is None
    save_cache(runtime, Settings(_env_file=None, data_dir=data_dir))  # type: ignore[call-arg]
    assert len(list((data_dir / "cache").glob("runtime-*.pickle"))) == 1  # written, private
    return data_dir
