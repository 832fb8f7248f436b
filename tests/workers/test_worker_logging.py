"""The terminal stays readable: a worker logs one INFO line when a run starts and one when
it ends, each with the execution id, and none of RQ's per-job INFO lines."""

from __future__ import annotations

import os
import subprocess
import sys

from redis import Redis
from sqlalchemy.orm import Session

from services.executions import run_template
from tests.factories import PROJECT_ROOT, World


def test_a_run_logs_one_start_and_one_end_line_and_rq_stays_quiet(
    session: Session,
    world: World,
    redis: Redis,
    worker_env: dict[str, str],
) -> None:
    queued = run_template(
        session=session,
        redis=redis,
        actor=world.owner,
        template_id="numbers",
        instance_id="wh",
        parameters={"below": "10"},
    )
    done = subprocess.run(
        [sys.executable, "-m", "cli", "worker", "--burst"],
        env={**os.environ, **worker_env},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = (done.stdout + done.stderr).splitlines()
    about_run = [line for line in lines if queued.execution_id in line]

    assert len(about_run) == 2, lines
    assert " INFO run " in about_run[0] and "started" in about_run[0]
    assert "ended: completed" in about_run[1]
    assert not [line for line in lines if "Job OK" in line or "Successfully completed" in line]
