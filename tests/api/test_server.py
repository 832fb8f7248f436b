"""The production server (gunicorn, as `reportbuilder web` starts it) serves app and API."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.helpers import RB
from tests.factories import PROJECT_ROOT, wait_for

#: Seconds gunicorn may take to answer its first request.
START_TIMEOUT_S = 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def web_server(worker_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    command = ["-m", "cli", "web", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(
        [sys.executable, *command],
        env={**os.environ, **worker_env, "DATA_DIR": str(tmp_path)},
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            return _get(base + "/healthz")[0] == 200
        except OSError:
            return False

    try:
        wait_for(answers, timeout=START_TIMEOUT_S, interval=0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_gunicorn_serves_the_pages_and_the_api(web_server: str, tokens: dict[str, str]) -> None:
    status, document = _get(web_server + "/api/openapi.json")
    assert status == 200 and json.loads(document)["openapi"] == "3.1.0"

    status, body = _get(web_server + RB + "/reports", tokens["owner"])
    assert status == 200 and json.loads(body)["total"] == 0

    status, body = _get(web_server + RB + "/reports")
    assert status == 401 and json.loads(body)["error"]["code"] == "unauthorized"

    status, page = _get(web_server + "/")
    assert status == 200 and b"<title>Report Builder</title>" in page
