"""Assemble what every channel needs from the data folders, refusing broken data.

The bot will not start on a flow, resource file or catalog that `flows check` rejects: a
survivor must never meet a raw key, a missing placeholder or a dead end.

Checking the data and building the crisis matcher (30,000 phrases in 16 languages, and the
regexes of the unspaced scripts) took about 5 s at every start. A running bot therefore keeps
what it assembled, once checked and every regex compiled, in `<data dir>/cache/`, under a hash
of every file of flows/, locales/ and the bot's own code (and the Python and pydantic
versions): any edit to a list, a flow or the code makes a new one. The cache holds only what
those files say, never anything a survivor typed. It is read only when this user owns it and
nobody else can write it (it is a pickle); a folder that cannot be written just means building
at every start.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import pickle
import stat
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pydantic

from bot.channels.render import Renderer
from bot.config import Settings
from bot.flow import crisis_model, keys
from bot.flow.check import Report, check_all
from bot.flow.crisis import VOWELS_DROPPED, CrisisMatcher
from bot.flow.directory import Directory
from bot.flow.engine import Engine
from bot.flow.model import Flow
from bot.flow.screens import LocaleInfo
from bot.i18n.catalog import Catalogs
from bot.i18n.toolkit import coverage


class DataError(Exception):
    """The data folders have problems; `report` lists them with file and line."""

    def __init__(self, report: Report) -> None:
        super().__init__("\n".join(str(p) for p in report.problems))
        self.report = report


@dataclass(frozen=True, slots=True)
class Runtime:
    flow: Flow
    directory: Directory
    catalogs: Catalogs
    engine: Engine
    renderer: Renderer
    key: str = ""  # the start-up cache's hash of the files this was built from
    cached: bool = False  # read from the start-up cache: already checked and compiled


def flow_path(settings: Settings) -> Path:
    return settings.flows_dir / "triage.yaml"


def load_runtime(settings: Settings) -> Runtime:
    """From the start-up cache when it matches the data and code, else checked and built."""
    key = cache_key(settings)
    cached = _read_cache(_cache_dir(settings), key)
    if cached is not None:
        return cached
    report, loaded = check_all(  # the walk of every path is `helpline flows check`'s job
        flow_path(settings),
        settings.flows_dir / "resources",
        settings.locales_dir,
        every_path=False,
    )
    if loaded is None or not report.ok:
        raise DataError(report)
    catalogs = offered(loaded.catalogs)
    locales = [
        LocaleInfo(
            code,
            catalogs.by_code[code].native_name,
            reviewed=catalogs.by_code[code].reviewed.strip().lower() in ("yes", "done"),
            source=catalogs.by_code[code].is_source,
        )
        for code in catalogs.codes
    ]
    engine = Engine(
        loaded.flow,
        loaded.directory,
        locales,
        crisis_matcher(loaded.catalogs),  # every language's lists, finished UI or not
        default_lang=catalogs.match(settings.default_locale) or "en",
    )
    return Runtime(loaded.flow, loaded.directory, catalogs, engine, Renderer(catalogs), key)


# ---------------------------------------------------------------- the start-up cache

_CACHE_FORMAT = b"helpline-runtime-1"
_CODE = Path(__file__).parent  # the bot package: its code and the crisis model's weights
log = logging.getLogger(__name__)


def _cache_dir(settings: Settings) -> Path:
    return settings.data_dir / "cache"


def cache_key(settings: Settings) -> str:
    """A hash of everything the runtime is built from (about 20 ms)."""
    h = hashlib.sha256(_CACHE_FORMAT + sys.version.encode())
    # The flow and directory are pydantic models: pickled as pydantic's own state.
    h.update(f"\0{pydantic.VERSION}\0{settings.default_locale}".encode())
    for root, suffixes in (
        (settings.flows_dir, None),
        (settings.locales_dir, None),
        (_CODE, (".py", ".json")),
    ):
        h.update(f"\0{root.resolve()}".encode())
        for path in sorted(root.rglob("*")):
            if path.is_file() and (suffixes is None or path.suffix in suffixes):
                data = path.read_bytes()
                h.update(f"\0{path.relative_to(root)}\0{len(data)}\0".encode() + data)
    return h.hexdigest()


def _private(st: os.stat_result) -> bool:
    """Ours, and nobody else may write it: only then is a pickle safe to load."""
    return st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read_cache(folder: Path, key: str) -> Runtime | None:
    path = folder / f"runtime-{key}.pickle"
    try:
        st = folder.lstat()
        if not stat.S_ISDIR(st.st_mode) or not _private(st):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or not _private(st):
            log.warning("start-up cache ignored: %s is not private to this user", path)
            return None
        data = f.read()
    gc.disable()  # unpickling 30,000 phrases with the collector on takes 3x as long
    try:
        runtime = pickle.loads(data)  # our own file, checked private above
    except Exception:  # unreadable (another version's classes): rebuild
        log.info("start-up cache unreadable; building", exc_info=True)
        return None
    finally:
        gc.enable()
    return replace(runtime, cached=True) if isinstance(runtime, Runtime) else None


def save_cache(runtime: Runtime, settings: Settings) -> None:
    """Compile every crisis regex (so no message waits for one) and keep the result for the
    next start. Runs in a thread beside the serving bot: the matcher works meanwhile,
    compiling what a message needs on the spot."""
    runtime.engine.crisis.warm(keep=True)
    folder = _cache_dir(settings)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder.lstat()):
            log.warning("start-up cache not written: %s is writable by others", folder)
            return
        data = pickle.dumps(replace(runtime, cached=False), protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".runtime-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, folder / f"runtime-{runtime.key}.pickle")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        for old in folder.glob("runtime-*.pickle"):  # older data or code
            if old.name != f"runtime-{runtime.key}.pickle":
                with contextlib.suppress(OSError):
                    old.unlink()
    except OSError as exc:
        log.info("start-up cache not written (%s): the next start builds again", exc.strerror)
    except Exception:  # a bug must not stop the bot: it only starts slower next time
        log.exception("start-up cache not written")
    finally:
        runtime.engine.crisis.drop_programs()


def offered(catalogs: Catalogs) -> Catalogs:
    """Only complete translations are offered to survivors; others are work in progress."""
    unfinished = {
        c.code for c in coverage(catalogs) if c.missing or c.fuzzy or c.placeholder_errors
    }
    return Catalogs([catalogs.by_code[c] for c in catalogs.codes if c not in unfinished])


def crisis_matcher(
    catalogs: Catalogs, model: bool = True, exclusions: bool = True
) -> CrisisMatcher:
    """Crisis phrases of every locale at once: a survivor may type in any language.

    With `model`, the on-device classifier (bot/flow/crisis_model.py) adds "possible" (the
    check-in) to messages no phrase matches: on the held-out set it caught 53 more of 512 danger
    and 62 more of 512 self-harm messages than the lists alone, with no more false alarms.
    Without `exclusions`, the not-a-crisis lists are left out (to test they hide no crisis).
    """
    phrases: dict[str, list[str]] = {}
    not_crisis: list[str] = []
    texting: list[str] = []

    def own_list(code: str, key: str) -> list[str]:
        """A language's own list, even marked fuzzy: switching crisis words off because the
        English example list changed would be the worst possible fallback."""
        msg = catalogs.by_code[code].messages.get(key)
        return CrisisMatcher.parse_list(msg.forms[0]) if msg and msg.forms else []

    for code in catalogs.codes:
        for kind, key in keys.CRISIS_WORDS.items():
            phrases.setdefault(kind, []).extend(own_list(code, key))
            if code in VOWELS_DROPPED:
                texting.extend(own_list(code, key))
        if exclusions:
            not_crisis.extend(own_list(code, keys.CRISIS_NOT))
    possible = crisis_model.load().is_possible if model else None
    return CrisisMatcher(phrases, not_crisis, possible, texting)
