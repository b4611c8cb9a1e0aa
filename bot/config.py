"""Settings from HELPLINE_* environment variables and an optional .env file.

Everything has a safe embedded default, so `helpline demo` and a first `helpline run` need
nothing but a token. Secrets are never printed: their reprs are masked.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


def _project_dir(name: str) -> Path:
    """flows/ and locales/ next to where the bot runs, else next to the source checkout."""
    here = Path(name)
    return here if here.is_dir() else ROOT / name


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HELPLINE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,
    )

    # Where the data lives
    data_dir: Path = Path("data")
    flows_dir: Path = Field(default_factory=lambda: _project_dir("flows"))
    locales_dir: Path = Field(default_factory=lambda: _project_dir("locales"))
    database_url: str | None = None  # default: sqlite under data_dir
    keystore_url: str | None = None  # default: a second sqlite file under data_dir
    database_password_file: Path | None = None  # fills in the password of both URLs
    # PostgreSQL connections a worker keeps open to each database (main, key store); opened
    # once and reused: workers x this must stay under each server's max_connections
    database_pool_size: int = Field(10, ge=1, le=100)
    database_app_role: str | None = None  # PostgreSQL: `db upgrade` grants it, audit append-only
    master_key: SecretStr | None = None  # "v2:<base64>,v1:<base64>"; newest first
    master_key_file: Path | None = None
    pseudonym_key: SecretStr | None = None
    pseudonym_key_file: Path | None = None

    # Retention
    retention_days: int = Field(30, ge=1, le=3650)
    idle_hours: int = Field(24, ge=1, le=24 * 30)
    audit_retention_days: int = Field(180, ge=1, le=3650)
    purge_interval_minutes: int = Field(60, ge=1)
    transcript_retention_days: int = Field(7, ge=0, le=3650)  # after a handoff closes
    codeword_tries: int = Field(5, ge=1, le=100)  # wrong code words before the case locks
    codeword_lock_minutes: int = Field(15, ge=1, le=24 * 60)

    # Telegram
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_rate_limit: bool = True  # off only against a local Bot API (tests, benchmarks)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen: str = "0.0.0.0:8080"
    protect_content: bool = True
    metrics_token: SecretStr | None = None  # /metrics answers only "Bearer <token>"; unset: off
    flood_messages: int = Field(20, ge=1)  # per chat per minute before a polite slow-down
    shutdown_seconds: int = Field(20, ge=1, le=600)  # stop within this on SIGTERM

    # Staff handoff (bot/staff): a forum supergroup where the bot is an admin
    staff_chat_id: int | None = None
    staff_hours: str | None = None  # e.g. "Mon-Fri 09:00-17:00 Asia/Taipei"; unset: always
    staff_team_name: str | None = Field(None, max_length=64)  # signs staff messages
    reannounce_minutes: int = Field(30, ge=1)
    topic_delete_minutes: int = Field(60, ge=0)

    default_locale: str = "en"
    log_level: str = "INFO"

    @field_validator("staff_chat_id")
    @classmethod
    def _staff_chat(cls, value: int | None) -> int | None:
        if value is not None and value >= 0:
            raise ValueError(
                "must be the staff supergroup's id, a negative number such as -1001234567890 "
                "(not a user's id)"
            )
        return value

    @field_validator("staff_hours")
    @classmethod
    def _staff_hours(cls, value: str | None) -> str | None:
        from bot.staff.hours import parse_hours  # the parser says what to write instead

        parse_hours(value)
        return value

    @field_validator("database_app_role")
    @classmethod
    def _app_role(cls, value: str | None) -> str | None:
        from bot.store.roles import check_role  # says what a valid name looks like

        return None if value is None else check_role(value)

    @field_validator("database_password_file")
    @classmethod
    def _password_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a readable file")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        return (
            self._with_password(self.database_url) or f"sqlite:///{self.data_dir / 'helpline.db'}"
        )

    @property
    def resolved_keystore_url(self) -> str:
        return self._with_password(self.keystore_url) or f"sqlite:///{self.data_dir / 'keys.db'}"

    def _with_password(self, url: str | None) -> str | None:
        """One source for the database password: the same file PostgreSQL's image reads."""
        if url is None or self.database_password_file is None:
            return url
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" or parsed.password is not None:
            return url
        password = self.database_password_file.read_text(encoding="utf-8").strip()
        return parsed.set(password=password).render_as_string(hide_password=False)
