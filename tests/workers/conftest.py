"""Fixtures of the worker tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.workers.helpers import Processes


@pytest.fixture
def processes(worker_env: dict[str, str], tmp_path: Path) -> Iterator[Processes]:
    # DATA_DIR of their own: the periodic demo refresh must not touch the project's data/.
    started = Processes({**worker_env, "DATA_DIR": str(tmp_path / "data")})
    yield started
    started.stop_all()
