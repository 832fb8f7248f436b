"""How soon a cancel stops a long DuckDB query running in a real worker.

Prints one JSON object. Run: `.venv/bin/python benchmarks/bench_cancel.py [--runs 5]`.
Uses TEST_POSTGRES_URL (default: local PostgreSQL; a database of its own, dropped at the
end) for the metadata database and TEST_REDIS_URL (default: local Redis, database 14,
flushed) for the queue.

Each run starts a query that never ends on its own, waits until the worker is busy with it,
cancels it and times two things: the cancel request itself (`cancel_s`) and the time from
the cancel to the worker's job ending (`stop_s`, the worker free for the next run).
Goal: stop_s <= 2 s (the cancel watch polls the row every 0.5 s).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import psutil
from redis import Redis
from rq import Worker
from rq.job import Job, JobStatus
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import metadata_database  # noqa: E402
from db import migrate  # noqa: E402
from db.models import QueryTemplate  # noqa: E402
from db.session import make_engine, make_session_factory  # noqa: E402
from services.cancels import cancel_execution  # noqa: E402
from services.executions import get_execution, run_template  # noqa: E402
from services.instances import save_instance  # noqa: E402
from services.users import Actor, system_actor  # noqa: E402

SECRET_KEY = "benchmark-secret-key"
ENDLESS_SQL = (
    "SELECT count(*) AS n FROM range(1000000000000) a "
    "WHERE {{ window_start }} IS NOT NULL AND {{ window_end }} IS NOT NULL"
)
#: CPU seconds the worker spends on the query before the cancel: it is well under way.
BUSY_CPU_S = 0.5
#: Seconds any one wait may take before the benchmark gives up.
TIMEOUT_S = 60
ENDED = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def prepare(factory: sessionmaker[Session], workdir: Path) -> Actor:
    warehouse = workdir / "bench.duckdb"
    duckdb.connect(str(warehouse)).close()
    with factory() as session:
        save_instance(
            session=session,
            secret_key=SECRET_KEY,
            instance_id="bench",
            name="Benchmark",
            engine="duckdb",
            connection_url=f"duckdb:///{warehouse}",
            statement_timeout_seconds=600,
        )
        session.add(
            QueryTemplate(
                template_id="endless",
                name="endless",
                sql_template=ENDLESS_SQL,
                parameter_definitions=[],
            )
        )
        session.commit()
        return system_actor(session=session)


def wait_until(condition: Callable[[], bool], what: str, poll: float = 0.01) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(poll)


@contextmanager
def worker(env: dict[str, str], redis: Redis) -> Iterator[psutil.Process]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "worker", "--queue", "executions"],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: Worker.count(connection=redis) == 1, "the worker")
        yield psutil.Process(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def cancel_once(
    factory: sessionmaker[Session], redis: Redis, actor: Actor, busy: psutil.Process
) -> tuple[float, float]:
    """(seconds the cancel request took, seconds from the cancel to the job's end)."""
    with factory() as session:
        queued = run_template(
            session=session, redis=redis, actor=actor, template_id="endless", instance_id="bench"
        )

    def running() -> bool:
        with factory() as session:
            execution = get_execution(
                session=session, actor=actor, execution_id=queued.execution_id
            )
        return execution.status == "running"

    wait_until(running, "the run to start")
    before = cpu_seconds(busy)
    wait_until(lambda: cpu_seconds(busy) - before > BUSY_CPU_S, "the query to be under way")
    job = Job.fetch(queued.execution_id, connection=redis)
    start = time.perf_counter()
    with factory() as session:
        cancel_execution(
            session=session, redis=redis, actor=actor, execution_id=queued.execution_id
        )
    cancelled = time.perf_counter()
    wait_until(lambda: job.get_status(refresh=True) in ENDED, "the job to end", poll=0.005)
    stopped = time.perf_counter()
    if (job.return_value() or {}).get("status") != "cancelled":
        raise SystemExit(f"the run did not end cancelled: {job.return_value()}")
    return cancelled - start, stopped - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    redis_url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/14"
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    with metadata_database() as database_url, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        migrate.upgrade(database_url)
        engine = make_engine(database_url)
        factory = make_session_factory(engine)
        actor = prepare(factory, workdir)
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "RESULTS_DIR": str(workdir / "results"),
            "SECRET_KEY": SECRET_KEY,
        }
        with worker(env, redis) as busy:
            figures = [cancel_once(factory, redis, actor, busy) for _ in range(args.runs)]
        engine.dispose()
    cancel_s = sorted(c for c, _ in figures)
    stop_s = sorted(s for _, s in figures)
    print(
        json.dumps(
            {
                "machine_cores": os.cpu_count(),
                "runs": args.runs,
                "cancel_s": {
                    "median": round(statistics.median(cancel_s), 3),
                    "max": round(cancel_s[-1], 3),
                },
                "stop_s": {
                    "median": round(statistics.median(stop_s), 3),
                    "max": round(stop_s[-1], 3),
                    "goal_max": 2,
                },
            },
            indent=2,
        )
    )
    redis.flushdb()


if __name__ == "__main__":
    main()
