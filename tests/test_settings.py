"""The settings table: what `load_settings` reads, and the README documents every setting."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from settings import (
    DATA_DIR_PLACEHOLDER,
    EMBEDDED_SECRET_KEY,
    SETTINGS,
    Settings,
    SettingsError,
    load_settings,
)

README = Path(__file__).resolve().parents[1] / "README.md"
#: What the README's table shows for a setting whose default leaves it unset.
UNSET = "unset"
_ROW = re.compile(r"^\|\s*`(?P<env>[A-Z][A-Z0-9_]*)`\s*\|(?P<default>[^|]*)\|(?P<help>[^|]*)\|\s*$")


def _readme_settings() -> dict[str, tuple[str, str]]:
    """`{variable: (default, meaning)}` from the table under the README's Settings heading."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        match = _ROW.match(line)
        if match:
            assert match["env"] not in rows, f"{match['env']} is listed twice in the README"
            rows[match["env"]] = (match["default"].strip(), match["help"].strip())
    return rows


def _shown(default: str | None) -> str:
    return UNSET if default is None else f"`{default}`"


def test_every_setting_is_documented_in_the_readme_with_its_default() -> None:
    documented = _readme_settings()
    for setting in SETTINGS:
        assert setting.env in documented, f"{setting.env} is missing from README.md's Settings"
        default, meaning = documented[setting.env]
        assert default == _shown(setting.default), f"{setting.env}: README default differs"
        assert meaning, f"{setting.env}: README says nothing about it"


def test_the_readme_lists_no_setting_the_table_lacks() -> None:
    known = {setting.env for setting in SETTINGS}
    assert set(_readme_settings()) - known == set()


def test_each_settings_field_is_filled_by_exactly_one_setting() -> None:
    fields = sorted(field.name for field in dataclasses.fields(Settings))
    assert sorted(setting.field for setting in SETTINGS) == fields


def test_unset_variables_take_the_defaults_of_the_table(tmp_path: Path) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path}/reportbuilder.db"
    assert settings.results_dir == tmp_path / "results"
    assert settings.redis_url is None and settings.smtp_url is None
    assert settings.secret_key == EMBEDDED_SECRET_KEY
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 8050)
    assert settings.demo_instance and settings.rate_limits and not settings.secure_cookies
    assert settings.demo_scale is None


def test_set_variables_override_the_defaults_as_given(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgresql://rb@db/" + DATA_DIR_PLACEHOLDER,
            "RESULTS_DIR": str(tmp_path / "elsewhere"),
            "WEB_PORT": "9000",
            "RATE_LIMITS": "Off",
            "SECURE_COOKIES": "1",
            "DEMO_INSTANCE": "0",
            "DEMO_SCALE": "0.5",
        }
    )
    # Only defaults mention DATA_DIR; a value from the environment is taken as it is.
    assert settings.database_url == "postgresql://rb@db/" + DATA_DIR_PLACEHOLDER
    assert settings.results_dir == tmp_path / "elsewhere"
    assert settings.web_port == 9000
    assert not settings.rate_limits and settings.secure_cookies and not settings.demo_instance
    assert settings.demo_scale == 0.5


@pytest.mark.parametrize(
    ("variable", "value"),
    [("WEB_PORT", "http"), ("WEB_PORT", "70000"), ("DEMO_SCALE", "big"), ("DEMO_SCALE", "0")],
)
def test_an_unusable_value_is_refused_with_the_variable_named(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({variable: value})


def test_the_embedded_secret_is_refused_where_a_production_secret_is_required() -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings({}).require_production_secret()
    load_settings({"SECRET_KEY": "x" * 48}).require_production_secret()
