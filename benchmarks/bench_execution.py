"""Execution overhead, long-query ratio and worker memory, through Redis and real workers.

Prints one JSON object. Run: `.venv/bin/python benchmarks/bench_execution.py [--runs 200]`.
Uses TEST_POSTGRES_URL (default: local PostgreSQL) for the metadata database and
TEST_REDIS_URL (default: local Redis, database 14, flushed) for the queues.

- overhead: N ad-hoc runs of a ~5 ms template through Redis and 2 workers; per run
  (completed_at - request time) - raw query time; goal: median <= 50 ms.
- ratio: a ~1 s query end to end / raw; goal <= 1.05.
- memory: a 2-million-row result streamed to Parquet; worker peak RSS; goal <= 300 MB.
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
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psutil
from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import metadata_database  # noqa: E402
from db import migrate  # noqa: E402
from db.models import QueryTemplate  # noqa: E402
from db.session import make_engine, make_session_factory  # noqa: E402
from services.executions import get_execution, run_template  # noqa: E402
from services.instances import engine_for, get_instance, save_instance  # noqa: E402
from services.parameter_validation import validate  # noqa: E402
from services.sql_templates import render  # noqa: E402
from services.templates import definitions_of, get_template_row  # noqa: E402
from services.users import Actor, system_actor  # noqa: E402

SECRET_KEY = "benchmark-secret-key"
WINDOW_SQL = "AND {{ window_start }} IS NOT NULL AND {{ window_end }} IS NOT NULL"
TEMPLATES = {
    "fast": f"SELECT x, label FROM numbers WHERE x < 10 {WINDOW_SQL}",
    "second": "SELECT count(*) AS n FROM range({{ size }}) t(i) "
    f"WHERE hash(i) % 7 = 0 {WINDOW_SQL}",
    "wide": "SELECT range AS x, 'label-' || range AS label, hash(range) AS h, "
    f"range / 3.0 AS ratio FROM range(2000000) WHERE TRUE {WINDOW_SQL}",
}


def prepare(factory: sessionmaker[Session], workdir: Path) -> Actor:
    warehouse = workdir / "bench.duckdb"
    connection = duckdb.connect(str(warehouse))
    connection.execute(
        "CREATE TABLE numbers AS SELECT range AS x, 'n' || range AS label FROM range(1000)"
    )
    connection.close()
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
        for template_id, sql in TEMPLATES.items():
            definitions = (
                [{"name": "size", "type": "integer", "default": 10_000_000}]
                if "{{ size }}" in sql
                else []
            )
            session.add(
                QueryTemplate(
                    template_id=template_id,
                    name=template_id,
                    sql_template=sql,
                    parameter_definitions=definitions,
                )
            )
        session.commit()
        return system_actor(session=session)


def raw_seconds(
    factory: sessionmaker[Session], template_id: str, params: dict[str, object], repeat: int
) -> float:
    """Median time of the template's SQL run straight on the engine, result read in full."""
    with factory() as session:
        template = get_template_row(session=session, template_id=template_id)
        actor = system_actor(session=session)
        engine = engine_for(
            get_instance(session=session, actor=actor, instance_id="bench"), secret_key=SECRET_KEY
        )
        definitions = definitions_of(template)
        values = validate(definitions, params, today=datetime.now(UTC).date()).normalized
        now = datetime.now(UTC)
        rendered = render(template.sql_template, definitions, values, (now, now), "duckdb")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _batch in engine.execute(rendered.sql, rendered.binds, 600):
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextmanager
def workers(env: dict[str, str], count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "cli", "worker", "--queue", "executions"],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    time.sleep(3)  # let them register and block on the queue
    try:
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def run_and_wait(
    factory: sessionmaker[Session],
    redis: Redis,
    actor: Actor,
    template_id: str,
    params: dict[str, object],
    poll: float = 0.02,
) -> tuple[float, float]:
    """(seconds from request to completed_at, seconds the worker spent running)."""
    requested = datetime.now(UTC)
    with factory() as session:
        queued = run_template(
            session=session,
            redis=redis,
            actor=actor,
            template_id=template_id,
            instance_id="bench",
            parameters=params,
        )
    while True:
        with factory() as session:
            execution = get_execution(
                session=session, actor=actor, execution_id=queued.execution_id
            )
        if execution.status not in {"pending", "running"}:
            break
        # completed_at is read from the row, so polling slower changes no figure; it only
        # keeps this process from taking CPU from the query on a 2-core machine.
        time.sleep(poll)
    assert execution.status == "completed", execution.error_message
    assert execution.completed_at and execution.started_at
    return (
        (execution.completed_at - requested).total_seconds(),
        (execution.completed_at - execution.started_at).total_seconds(),
    )


def peak_rss_mb(
    processes: list[subprocess.Popen[bytes]], stop: threading.Event, out: list[float]
) -> None:
    peak = 0
    parents = [psutil.Process(p.pid) for p in processes]
    while not stop.is_set():
        for parent in parents:
            try:
                for proc in [parent, *parent.children(recursive=True)]:
                    peak = max(peak, proc.memory_info().rss)
            except psutil.Error:
                pass
        time.sleep(0.02)
    out.append(peak / 2**20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    redis_url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/14"
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    with metadata_database() as database_url, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        migrate.upgrade(database_url)
        factory = make_session_factory(make_engine(database_url))
        actor = prepare(factory, workdir)
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "RESULTS_DIR": str(workdir / "results"),
            "SECRET_KEY": SECRET_KEY,
        }
        raw_fast = raw_seconds(factory, "fast", {}, repeat=50)
        # Size the "second" query to about one second of raw time on this machine.
        size = 10_000_000
        probe = raw_seconds(factory, "second", {"size": size}, repeat=1)
        size = int(size * 1.0 / max(probe, 0.01))
        raw_second = raw_seconds(factory, "second", {"size": size}, repeat=3)
        raw_wide = raw_seconds(factory, "wide", {}, repeat=1)

        results: dict[str, object] = {"machine_cores": os.cpu_count()}
        with workers(env, 2) as processes:
            for _ in range(5):  # warm-up
                run_and_wait(factory, redis, actor, "fast", {})
            overheads = []
            for _ in range(args.runs):
                total, _worked = run_and_wait(factory, redis, actor, "fast", {})
                overheads.append((total - raw_fast) * 1000)
            overheads.sort()
            results["overhead_ms"] = {
                "runs": args.runs,
                "raw_query_ms": round(raw_fast * 1000, 2),
                "median": round(statistics.median(overheads), 1),
                "p95": round(overheads[int(0.95 * (len(overheads) - 1))], 1),
                "goal_median_max": 50,
            }
            ends = [
                run_and_wait(factory, redis, actor, "second", {"size": size}, poll=0.5)[0]
                for _ in range(3)
            ]
            results["long_query"] = {
                "raw_s": round(raw_second, 3),
                "end_to_end_s": round(statistics.median(ends), 3),
                "ratio": round(statistics.median(ends) / raw_second, 3),
                "goal_ratio_max": 1.05,
            }
            stop = threading.Event()
            peaks: list[float] = []
            sampler = threading.Thread(target=peak_rss_mb, args=(processes, stop, peaks))
            sampler.start()
            wide_total, _ = run_and_wait(factory, redis, actor, "wide", {}, poll=0.5)
            stop.set()
            sampler.join()
            results["memory"] = {
                "rows": 2_000_000,
                "raw_s": round(raw_wide, 2),
                "end_to_end_s": round(wide_total, 2),
                "worker_peak_rss_mb": round(peaks[0], 1),
                "goal_peak_rss_mb_max": 300,
            }
        print(json.dumps(results, indent=2))
    redis.flushdb()


if __name__ == "__main__":
    main()
