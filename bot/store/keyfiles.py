"""Where the master key and the pseudonym key come from.

Order: the environment value, else the configured key file, else the embedded default file
under data_dir. The default files are created only for a brand-new store, never over
existing data (a new key would silently make every stored conversation unreadable). Key
files readable by anyone but their owner are refused.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.store.crypto import MasterKeys, Pseudonyms, generate_master_key, generate_secret
from bot.store.errors import StoreConfigError

log = logging.getLogger("bot.store")

MASTER_FILE = "master.key"
PSEUDONYM_FILE = "pseudonym.key"


@dataclass(frozen=True, slots=True)
class Keys:
    master: MasterKeys
    pseudonyms: Pseudonyms
    embedded: bool  # the default files under data_dir are in use


def read_key_file(path: Path, what: str) -> str:
    """Read a secret file, refusing one that other users could read."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise StoreConfigError(f"{what} file {path} does not exist") from None
    except OSError as exc:
        raise StoreConfigError(f"{what} file {path} cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise StoreConfigError(f"{what} file {path} is not a regular file")
    if info.st_mode & 0o077:
        raise StoreConfigError(
            f"{what} file {path} can be read by other users "
            f"(mode {stat.S_IMODE(info.st_mode):04o}): run `chmod 600 {path}`"
        )
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise StoreConfigError(f"{what} file {path} cannot be read") from None


def _create_secret_file(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(content + "\n")


def _check_env_sources(settings: Settings) -> None:
    """Keys given as variables are visible to anything that can read the process environment
    (and a shared `.env` file to other users): refuse the file, warn loudly about the rest."""
    named = [
        name
        for name, value in (
            ("HELPLINE_MASTER_KEY", settings.master_key),
            ("HELPLINE_PSEUDONYM_KEY", settings.pseudonym_key),
        )
        if value is not None
    ]
    if not named:
        return
    dotenv = Path(".env")
    try:
        mode = dotenv.stat().st_mode
        text = dotenv.read_text(encoding="utf-8", errors="replace")
    except OSError:
        mode, text = 0, ""
    if mode & 0o077 and any(name in text for name in named):
        raise StoreConfigError(
            f".env holds {' and '.join(named)} and other users can read it "
            f"(mode {stat.S_IMODE(mode):04o}): run `chmod 600 .env`, or better, use the "
            "*_KEY_FILE settings"
        )
    log.warning(
        "store keys: %s set as environment variables, which other processes, crash reports and "
        "container inspection can read; pass HELPLINE_MASTER_KEY_FILE and "
        "HELPLINE_PSEUDONYM_KEY_FILE (owner-only files) instead",
        " and ".join(named),
    )


def load_keys(settings: Settings, *, fresh: bool) -> Keys:
    """Load both keys; create the embedded defaults only when `fresh` (no data exists)."""
    created: list[str] = []
    embedded = False
    _check_env_sources(settings)

    if settings.master_key is not None:
        master = MasterKeys.parse(settings.master_key.get_secret_value(), "HELPLINE_MASTER_KEY")
    elif settings.master_key_file is not None:
        text = read_key_file(settings.master_key_file, "master key")
        master = MasterKeys.parse(text, f"master key file {settings.master_key_file}")
    else:
        path = settings.data_dir / MASTER_FILE
        embedded = True
        if not path.exists():
            if not fresh:
                raise StoreConfigError(
                    "no master key is configured but stored data exists: set "
                    "HELPLINE_MASTER_KEY or HELPLINE_MASTER_KEY_FILE to the key it was "
                    f"written with (or restore {path}); refusing to create a new key"
                )
            _create_secret_file(path, generate_master_key(1))
            created.append(str(path))
        master = MasterKeys.parse(read_key_file(path, "master key"), f"master key file {path}")

    if settings.pseudonym_key is not None:
        pseudonyms = Pseudonyms(settings.pseudonym_key.get_secret_value())
    elif settings.pseudonym_key_file is not None:
        pseudonyms = Pseudonyms(read_key_file(settings.pseudonym_key_file, "pseudonym key"))
    else:
        path = settings.data_dir / PSEUDONYM_FILE
        embedded = True
        if not path.exists():
            if not fresh:
                raise StoreConfigError(
                    "no pseudonym key is configured but stored data exists: set "
                    "HELPLINE_PSEUDONYM_KEY or HELPLINE_PSEUDONYM_KEY_FILE to the key it was "
                    f"written with (or restore {path}); refusing to create a new key"
                )
            _create_secret_file(path, generate_secret())
            created.append(str(path))
        pseudonyms = Pseudonyms(read_key_file(path, "pseudonym key"))

    if embedded:
        what = f"created {' and '.join(created)}" if created else "using key files in data_dir"
        log.warning(
            "store keys: %s; fine for a trial, but production should pass "
            "HELPLINE_MASTER_KEY_FILE and HELPLINE_PSEUDONYM_KEY_FILE from a secret store, "
            "kept apart from the database and its backups",
            what,
        )
    return Keys(master, pseudonyms, embedded)
