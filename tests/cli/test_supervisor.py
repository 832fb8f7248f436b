"""Commands run beside `reportbuilder run` find its embedded Redis through DATA_DIR."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit as make_url_of

import click
import pytest

from cli import require_redis
from cli.supervisor import URL_FILE_NAME, running_embedded_url
from settings import load_settings
from tests.databases import DEFAULT_TEST_REDIS_URL

#: The test Redis server, as the embedded one would be named (127.0.0.1, database 0 unused).
_TEST = make_url_of(os.environ.get("TEST_REDIS_URL") or DEFAULT_TEST_REDIS_URL)
LOCAL_REDIS = f"redis://127.0.0.1:{_TEST.port or 6379}/0"


def _leave_url(data_dir: Path, url: str) -> None:
    (data_dir / "redis").mkdir(parents=True)
    (data_dir / "redis" / URL_FILE_NAME).write_text(url, encoding="utf-8")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_run_that_answers_is_found(tmp_path: Path) -> None:
    _leave_url(tmp_path, LOCAL_REDIS)

    assert running_embedded_url(tmp_path) == LOCAL_REDIS
    settings = load_settings({"DATA_DIR": str(tmp_path)})
    assert require_redis(settings) == LOCAL_REDIS


def test_a_run_that_ended_is_not_found(tmp_path: Path) -> None:
    _leave_url(tmp_path, f"redis://127.0.0.1:{_closed_port()}/0")

    assert running_embedded_url(tmp_path) is None
    with pytest.raises(click.ClickException, match="no `reportbuilder run` is going"):
        require_redis(load_settings({"DATA_DIR": str(tmp_path)}))


@pytest.mark.parametrize("url", ["redis://10.0.0.1:6379/0", "unix:///tmp/x.sock", ""])
def test_only_a_local_tcp_url_is_trusted(tmp_path: Path, url: str) -> None:
    _leave_url(tmp_path, url)

    assert running_embedded_url(tmp_path) is None


def test_without_a_run_nothing_is_found(tmp_path: Path) -> None:
    assert running_embedded_url(tmp_path) is None


def test_redis_url_wins_over_a_running_embedded_server(tmp_path: Path) -> None:
    _leave_url(tmp_path, LOCAL_REDIS)
    settings = load_settings({"DATA_DIR": str(tmp_path), "REDIS_URL": "redis://elsewhere:1/2"})

    assert require_redis(settings) == "redis://elsewhere:1/2"
