"""Schedule lateness with 1,000 schedules due in the same minute and two schedulers.

Prints one JSON object. Run: `.venv/bin/python benchmarks/bench_scheduler.py [--schedules
1000] [--minutes 2]`. Uses TEST_POSTGRES_URL (default: local PostgreSQL; a database of its
own, dropped at the end) for the metadata database and TEST_REDIS_URL (default: local Redis,
database 14, flushed) for the queues.

N `* * * * *` schedules are created so that they are all due at the next minute; two
`reportbuilder scheduler` processes and two workers serving only the maintenance queue run
the ticks (the runs go to the executions queue, which nobody serves: only the starting of
slots is measured). Per slot: lateness = the RQ job's enqueued_at - scheduled_for (and the
row's queued_at - scheduled_for); duplicates = runs per (schedule, slot) above one; missing
= slots without a run. Goals: p99 lateness <= 5 s, duplicates = 0.
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
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from redis import Redis
from rq import Worker
from rq.job import Job
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import metadata_database  # noqa: E402
from db import migrate  # noqa: E402
from db.models import QueryTemplate, ReportDefinition, ReportExecution, ReportSchedule  # noqa: E402
from db.session import make_engine, make_session_factory  # noqa: E402
from services.instances import save_instance  # noqa: E402
from services.users import system_actor  # noqa: E402

SECRET_KEY = "benchmark-secret-key"
SQL = "SELECT x FROM numbers WHERE x < {{ below }} AND {{ window_start }} IS NOT NULL"
#: Seconds a slot may take to be started before the benchmark gives up on it.
SLOT_TIMEOUT_S = 120
#: Seconds between the last insert and the first due slot, so every process is ready.
LEAD_S = 20


def prepare(factory: sessionmaker[Session], workdir: Path) -> None:
    warehouse = workdir / "bench.duckdb"
    connection = duckdb.connect(str(warehouse))
    connection.execute("CREATE TABLE numbers AS SELECT range AS x FROM range(1000)")
    connection.close()
    with factory() as session:
        save_instance(
            session=session,
            secret_key=SECRET_KEY,
            instance_id="bench",
            name="Benchmark",
            engine="duckdb",
            connection_url=f"duckdb:///{warehouse}",
        )
        session.add(
            QueryTemplate(
                template_id="numbers",
                name="numbers",
                sql_template=SQL,
                parameter_definitions=[{"name": "below", "type": "integer", "default": 10}],
            )
        )
        session.commit()


def create_schedules(factory: sessionmaker[Session], count: int, due: datetime) -> None:
    """`count` reports, each with a `* * * * *` schedule whose next run is `due`."""
    with factory() as session:
        owner = system_actor(session=session)
        template = session.scalars(select(QueryTemplate)).one()
        instance_uuid = session.scalar(text("SELECT id FROM instances"))
        report_ids = [uuid.uuid4() for _ in range(count)]
        session.execute(
            insert(ReportDefinition),
            [
                {
                    "id": rid,
                    "report_id": f"rpt_{rid.hex[:8]}",
                    "name": f"Minutely {n}",
                    "template_uuid": template.id,
                    "instance_uuid": instance_uuid,
                    "owner_uuid": owner.id,
                    "parameters": {"below": 5},
                    "frequency": "daily",
                }
                for n, rid in enumerate(report_ids)
            ],
        )
        session.execute(
            insert(ReportSchedule),
            [
                {
                    "id": uuid.uuid4(),
                    "schedule_id": f"sch_{uuid.uuid4().hex[:8]}",
                    "report_uuid": rid,
                    "schedule_type": "custom",
                    "cron_expression": "* * * * *",
                    "timezone": "UTC",
                    "default_parameters": {},
                    "next_run_at": due,
                }
                for rid in report_ids
            ],
        )
        session.commit()


@contextmanager
def processes(env: dict[str, str]) -> Iterator[None]:
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "cli", *args],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for args in (
            ("scheduler",),
            ("scheduler",),
            ("worker", "--queue", "maintenance"),
            ("worker", "--queue", "maintenance"),
        )
    ]
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


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 3),
        "p95": round(percentile(values, 0.95), 3),
        "p99": round(percentile(values, 0.99), 3),
        "max": round(max(values), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=2, help="slots measured per schedule")
    args = parser.parse_args()
    redis_url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/14"
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    with metadata_database() as database_url, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        migrate.upgrade(database_url)
        engine = make_engine(database_url)
        factory = make_session_factory(engine)
        prepare(factory, workdir)
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "RESULTS_DIR": str(workdir / "results"),
            "DATA_DIR": str(workdir / "data"),
            "SECRET_KEY": SECRET_KEY,
        }
        with processes(env):
            deadline = time.monotonic() + 60
            while Worker.count(connection=redis) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            now = datetime.now(UTC)
            due = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
            if (due - now).total_seconds() < LEAD_S:
                due += timedelta(minutes=1)
            created = time.monotonic()
            create_schedules(factory, args.schedules, due)
            setup_s = time.monotonic() - created
            slots = [due + timedelta(minutes=m) for m in range(args.minutes)]
            for slot in slots:
                give_up = slot + timedelta(seconds=SLOT_TIMEOUT_S)
                while datetime.now(UTC) < give_up:
                    with factory() as session:
                        started = session.scalar(
                            select(func.count()).where(ReportExecution.scheduled_for == slot)
                        )
                    if started and started >= args.schedules:
                        break
                    time.sleep(0.5)
            time.sleep(2)  # the last enqueues follow the last commit
        with factory() as session:
            rows = session.execute(
                select(
                    ReportExecution.execution_id,
                    ReportExecution.schedule_uuid,
                    ReportExecution.scheduled_for,
                    ReportExecution.queued_at,
                ).where(ReportExecution.triggered_by == "schedule")
            ).all()
        jobs = {}
        ids = [r.execution_id for r in rows]
        for start in range(0, len(ids), 500):
            for job in Job.fetch_many(ids[start : start + 500], connection=redis):
                if job is not None:
                    jobs[job.id] = job
        enqueue_late: list[float] = []
        late_by_slot: dict[datetime, list[float]] = {slot: [] for slot in slots}
        row_late: list[float] = []
        for r in rows:
            job = jobs.get(r.execution_id)
            if job is not None and job.enqueued_at is not None:
                enqueued = job.enqueued_at
                if enqueued.tzinfo is None:
                    enqueued = enqueued.replace(tzinfo=UTC)
                late = (enqueued - r.scheduled_for).total_seconds()
                enqueue_late.append(late)
                late_by_slot.setdefault(r.scheduled_for, []).append(late)
            if r.queued_at is not None:
                row_late.append((r.queued_at - r.scheduled_for).total_seconds())
        per_slot = Counter((r.schedule_uuid, r.scheduled_for) for r in rows)
        expected = args.schedules * len(slots)
        present = sum(1 for key in per_slot if key[1] in slots)
        results = {
            "machine_cores": os.cpu_count(),
            "schedules": args.schedules,
            "slots_per_schedule": len(slots),
            "schedulers": 2,
            "maintenance_workers": 2,
            "setup_s": round(setup_s, 2),
            "runs_started": len(rows),
            "jobs_in_redis": len(jobs),
            "duplicates": sum(n - 1 for n in per_slot.values() if n > 1),
            "missing": expected - present,
            "lateness_enqueue_s": summary(enqueue_late) if enqueue_late else None,
            "lateness_row_queued_s": summary(row_late) if row_late else None,
            "per_minute_p99_enqueue_s": {
                slot.strftime("%H:%M"): round(percentile(late_by_slot[slot], 0.99), 3)
                for slot in slots
                if late_by_slot.get(slot)
            },
            "goal_p99_s_max": 5,
            "goal_duplicates": 0,
        }
        engine.dispose()
        print(json.dumps(results, indent=2))
    redis.flushdb()


if __name__ == "__main__":
    main()
