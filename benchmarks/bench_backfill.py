"""A 365-day backfill of a demo template, one segment per day, with two workers.

Prints one JSON object. Run: `.venv/bin/python benchmarks/bench_backfill.py [--template
daily_trend] [--workers 2]`. Uses TEST_POSTGRES_URL (default: local PostgreSQL; a database of
its own, dropped at the end) for the metadata database and TEST_REDIS_URL (default: local
Redis, database 14, flushed) for the queues. `reportbuilder seed-demo` builds the demo
warehouse and loads the library into a temporary DATA_DIR.

raw = the sum of every segment's rendered SQL run straight on the engine, one after the
other, results read in full. total = from start_backfill to the last segment's end.
Goal: total <= 1.25 x (raw / workers) + 10 s.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from redis import Redis
from rq import Worker
from rq.job import Job
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import metadata_database  # noqa: E402
from db.models import ReportExecution  # noqa: E402
from db.session import make_engine, make_session_factory  # noqa: E402
from services.backfill_plans import backfill_window, segments  # noqa: E402
from services.backfills import get_backfill, start_backfill  # noqa: E402
from services.instances import engine_for, get_instance  # noqa: E402
from services.parameter_validation import validate  # noqa: E402
from services.reports import create_report  # noqa: E402
from services.sql_templates import render  # noqa: E402
from services.templates import definitions_of, get_template_row  # noqa: E402
from services.users import system_actor  # noqa: E402
from services.windows import freshest_day  # noqa: E402

SECRET_KEY = "benchmark-secret-key"
LOOKBACK_DAYS = 365
#: Seconds the backfill may take before the benchmark gives up.
TIMEOUT_S = 1800


def seed_demo(env: dict[str, str]) -> float:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "seed-demo"],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"seed-demo failed:\n{done.stderr[-3000:]}")
    return time.monotonic() - started


def raw_seconds(factory: sessionmaker[Session], template_id: str) -> tuple[float, int]:
    """Sum of the segments' SQL run straight on the engine, and the number of segments."""
    with factory() as session:
        actor = system_actor(session=session)
        template = get_template_row(session=session, template_id=template_id)
        instance = get_instance(session=session, actor=actor, instance_id="demo")
        engine = engine_for(instance, secret_key=SECRET_KEY)
        definitions = definitions_of(template)
        values = validate(definitions, {}, today=datetime.now(UTC).date()).normalized
        freshest = freshest_day(
            timezone=instance.timezone,
            data_lag_days=instance.data_lag_days,
            min_data_age_days=template.min_data_age_days,
        )
        pieces = segments(backfill_window(LOOKBACK_DAYS, freshest, freshest), "daily")
        sql = template.sql_template
        timeout = float(instance.statement_timeout_seconds)
    total = 0.0
    for piece in pieces:
        rendered = render(sql, definitions, values, piece.as_datetimes(), "duckdb")
        start = time.perf_counter()
        for _batch in engine.execute(rendered.sql, rendered.binds, timeout):
            pass
        total += time.perf_counter() - start
    return total, len(pieces)


@contextmanager
def workers(env: dict[str, str], count: int, redis: Redis) -> Iterator[None]:
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "cli", "worker"],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    deadline = time.monotonic() + 60
    while Worker.count(connection=redis) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    try:
        yield
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--template", default="daily_trend")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    redis_url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/14"
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    with metadata_database() as database_url, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DATA_DIR": str(workdir / "data"),
            "RESULTS_DIR": str(workdir / "results"),
            "SECRET_KEY": SECRET_KEY,
        }
        seed_s = seed_demo(env)
        engine = make_engine(database_url)
        factory = make_session_factory(engine)
        raw_total, count = raw_seconds(factory, args.template)
        with factory() as session:
            actor = system_actor(session=session)
            report_id = create_report(
                session=session,
                actor=actor,
                template_id=args.template,
                instance_id="demo",
                name="A year, day by day",
            ).report_id
            session.commit()  # services flush; the caller commits its unit of work
            max_concurrency = get_instance(
                session=session, actor=actor, instance_id="demo"
            ).max_concurrency
        with workers(env, args.workers, redis), factory() as session:
            started_at = datetime.now(UTC)
            info = start_backfill(
                session=session,
                redis=redis,
                actor=actor,
                report_id=report_id,
                segment_type="daily",
                lookback_days=LOOKBACK_DAYS,
            )
            # Wait for the segments, not the backfill's status: the status may lag behind them
            # (see `collection_status` below).
            deadline = time.monotonic() + TIMEOUT_S
            while time.monotonic() < deadline:
                open_runs = session.scalar(
                    select(func.count()).where(
                        ReportExecution.collection_uuid == info.uuid,
                        ReportExecution.status.in_(("pending", "running")),
                    )
                )
                if not open_runs:
                    break
                time.sleep(0.5)
            time.sleep(1)  # the last segment's follow-up (recount, release) commits
            session.expire_all()
            done = get_backfill(session=session, actor=actor, collection_id=info.collection_id)
            last_end = session.scalar(
                select(func.max(ReportExecution.completed_at)).where(
                    ReportExecution.collection_uuid == info.uuid
                )
            )
            run_times = session.scalars(
                select(ReportExecution).where(ReportExecution.collection_uuid == info.uuid)
            ).all()
            durations = sorted(
                (r.completed_at - r.started_at).total_seconds()
                for r in run_times
                if r.completed_at and r.started_at
            )
            waits = sorted(
                (r.started_at - r.queued_at).total_seconds()
                for r in run_times
                if r.started_at and r.queued_at
            )
            worked = sum(durations)
            ids = [r.execution_id for r in run_times]
            worker_of = {
                job.id: job.worker_name
                for start in range(0, len(ids), 500)
                for job in Job.fetch_many(ids[start : start + 500], connection=redis)
                if job is not None
            }
            runs_per_worker = Counter(worker_of.values())
            # Time a worker spends between the end of one run and the start of its next.
            gaps = []
            for name in runs_per_worker:
                own = sorted(
                    (r for r in run_times if worker_of.get(r.execution_id) == name),
                    key=lambda r: r.started_at or started_at,
                )
                gaps += [
                    (b.started_at - a.completed_at).total_seconds()
                    for a, b in itertools.pairwise(own)
                    if a.completed_at and b.started_at
                ]
        total = (last_end - started_at).total_seconds() if last_end else float("nan")
        budget = 1.25 * (raw_total / args.workers) + 10
        results = {
            "machine_cores": os.cpu_count(),
            "template": args.template,
            "segments": count,
            "workers": args.workers,
            "max_concurrency": max_concurrency,
            "seed_demo_s": round(seed_s, 1),
            # The backfill's own status and counters once every segment has ended: "running"
            # here means the recount lost a race (the reconciler repairs it within 30 s).
            "collection_status": done.status,
            "collection_completed_segments": done.completed_segments,
            "segments_completed": sum(1 for r in run_times if r.status == "completed"),
            "raw_sum_s": round(raw_total, 2),
            "raw_mean_ms": round(1000 * raw_total / count, 1),
            "worker_time_sum_s": round(worked, 2),
            "run_ms_median": round(1000 * statistics.median(durations), 1),
            "queue_wait_ms_median": round(1000 * statistics.median(waits), 1),
            "mean_runs_in_parallel": round(worked / total, 2),
            "runs_per_worker": sorted(runs_per_worker.values()),
            "between_runs_ms_median": round(1000 * statistics.median(gaps), 1) if gaps else None,
            "total_s": round(total, 2),
            "budget_s": round(budget, 2),
            "goal": "total_s <= 1.25 * raw_sum_s / workers + 10",
            "goal_met": total <= budget,
        }
        engine.dispose()
        print(json.dumps(results, indent=2))
    redis.flushdb()


if __name__ == "__main__":
    main()
