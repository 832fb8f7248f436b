"""The WSGI entry: one app with the API mounted once, and no import cycle between app and api."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import api
from settings import load_settings
from wsgi import create_application

ROOT = Path(__file__).resolve().parents[1]


def test_importing_the_api_does_not_import_the_app() -> None:
    probe = "import sys, api, json; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert "api" in loaded
    assert {"app", "wsgi", "pages"} & loaded == set()


def test_the_application_serves_the_api_mounted_once(tmp_path: Path) -> None:
    server = create_application(load_settings({"DATA_DIR": str(tmp_path)}))
    rules = [rule.rule for rule in server.url_map.iter_rules()]
    assert rules.count("/api/openapi.json") == 1
    with server.test_client() as client:
        response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.json["openapi"] == "3.1.0"


def test_registering_the_api_twice_on_one_server_is_refused(tmp_path: Path) -> None:
    server = create_application(load_settings({"DATA_DIR": str(tmp_path)}))
    with pytest.raises(RuntimeError, match="registered"):
        api.register(server)
