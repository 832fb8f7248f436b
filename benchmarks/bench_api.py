"""API latency over HTTP against the production server (gunicorn), with a full database.

Prints one JSON object. Run: `.venv/bin/python benchmarks/bench_api.py [--requests 200]`.
Uses TEST_POSTGRES_URL (default: local PostgreSQL) for a new metadata database, dropped at
the end, and BENCH_REDIS_URL (default: local Redis, database 13, flushed).

- 10,000 reports (with dashboards, 2,000 schedules) and 200,000 executions, bulk-inserted.
- The server: `reportbuilder web` (gunicorn), RATE_LIMITS=off in its environment. Runs are
  also spread over enough users to stay under 10 per minute each, so the limits never
  refuse one either way.
- list: `GET /api/report-builder/reports?limit=50` as an admin (all 10,000 reports) and as
  an analyst (their 250); goal p95 <= 100 ms.
- run: `POST /api/report-builder/reports/{id}/run` (a pending row + an RQ job); goal
  p95 <= 50 ms.
With --explain, the plans of the list queries (count and page) go to stderr. With
--suggested-index, the index proposed for the reports list (SUGGESTED_INDEX, not in the
migrations yet) is created first, to show its effect.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from redis import Redis
from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import metadata_database  # noqa: E402
from db import migrate  # noqa: E402
from db.models import (  # noqa: E402
    Dashboard,
    Instance,
    QueryTemplate,
    ReportDefinition,
    ReportExecution,
    ReportSchedule,
)
from db.session import make_engine, make_session_factory  # noqa: E402
from services.instances import save_instance  # noqa: E402
from services.users import Actor, create_api_token, create_user, get_actor  # noqa: E402

SECRET_KEY = "benchmark-secret-key-not-the-embedded-one"
PREFIX = "/api/report-builder"
#: Rows per INSERT: PostgreSQL takes at most 65,535 bound parameters per statement.
MAX_PARAMETERS = 60_000
GOALS_MS = {"list_reports": 100, "run_report": 50}
#: The reports list sorts the whole view by updated_at before taking a page; this index lets
#: PostgreSQL read the first page in order and join only those rows (108 ms -> 1 ms for the
#: page query with 10,000 reports). Proposed for a migration; see --suggested-index.
SUGGESTED_INDEX = (
    "CREATE INDEX ix_report_definitions_updated_at "
    "ON report_definitions (updated_at DESC NULLS LAST, report_id)"
)


def _insert(engine: Engine, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    batch = max(1, MAX_PARAMETERS // len(rows[0]))
    with engine.begin() as connection:
        for start in range(0, len(rows), batch):
            connection.execute(insert(table).values(rows[start : start + batch]))


def populate(
    engine: Engine, workdir: Path, reports: int, executions: int, analysts: int
) -> dict[str, Any]:
    """Users, instance, template, then reports, dashboards, schedules and executions in bulk.

    Returns tokens (admin and analysts) and, per analyst, the ids of their reports."""
    warehouse = workdir / "bench.duckdb"
    warehouse_db = duckdb.connect(str(warehouse))
    warehouse_db.execute("CREATE TABLE numbers AS SELECT range AS x FROM range(100)")
    warehouse_db.close()
    factory = make_session_factory(engine)
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
                name="Numbers",
                sql_template="SELECT x FROM numbers WHERE {{ window_start }} IS NOT NULL",
                parameter_definitions=[],
                report_config={"widgets": [{"type": "table", "title": "Rows"}]},
            )
        )
        admin = create_user(session=session, email="admin@bench.local", role="admin")
        people = [
            create_user(
                session=session,
                email=f"analyst{i}@bench.local",
                role="analyst",
                instance_ids=["bench"],
            )
            for i in range(analysts)
        ]
        session.commit()
        tokens = {
            actor.email: create_api_token(session=session, email=actor.email)
            for actor in [admin, *people]
        }
        session.commit()
        template_uuid = session.scalars(select(QueryTemplate.id)).one()
        instance_uuid = session.scalars(select(Instance.id)).one()

    rng = random.Random(42)
    now = datetime.now(UTC)
    report_rows, dashboard_rows, schedule_rows, execution_rows, last = [], [], [], [], []
    per_report = executions // reports
    owned: dict[str, list[str]] = {p.email: [] for p in people}
    for index in range(reports):
        owner = people[index % analysts]
        report_uuid, dashboard_uuid = uuid.uuid4(), uuid.uuid4()
        created = now - timedelta(days=rng.uniform(1, 365))
        report_id = f"rpt_{index:08x}"
        owned[owner.email].append(report_id)
        dashboard_rows.append(
            {
                "id": dashboard_uuid,
                "dashboard_id": f"dsh_{index:08x}",
                "name": f"Report {index}",
                "description": "",
                "owner_uuid": owner.id,
                "created_at": created,
                "updated_at": created,
            }
        )
        report_rows.append(
            {
                "id": report_uuid,
                "report_id": report_id,
                "name": f"Report {index} {rng.choice(['sales', 'reach', 'roas', 'funnel'])}",
                "description": "",
                "template_uuid": template_uuid,
                "instance_uuid": instance_uuid,
                "owner_uuid": owner.id,
                "parameters": {},
                "frequency": rng.choice(["once", "daily", "weekly"]),
                "timezone": "UTC",
                "is_active": True,
                "notification_emails": [],
                "dashboard_uuid": dashboard_uuid,
                "execution_count": per_report,
                "created_at": created,
                "updated_at": created + timedelta(hours=rng.uniform(0, 100)),
            }
        )
        if index % 5 == 0:
            schedule_rows.append(
                {
                    "id": uuid.uuid4(),
                    "schedule_id": f"sch_{index:08x}",
                    "report_uuid": report_uuid,
                    "schedule_type": "daily",
                    "cron_expression": "0 6 * * *",
                    "timezone": "UTC",
                    "default_parameters": {},
                    "is_active": True,
                    "is_paused": index % 10 == 0,
                    "next_run_at": now + timedelta(hours=rng.uniform(0, 24)),
                    "run_count": 0,
                    "failure_count": 0,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        newest: tuple[datetime, uuid.UUID] | None = None
        for run in range(per_report):
            execution_uuid = uuid.uuid4()
            requested = created + timedelta(hours=24 * run + rng.uniform(0, 12))
            status = "failed" if rng.random() < 0.05 else "completed"
            execution_rows.append(
                {
                    "id": execution_uuid,
                    "execution_id": f"exe_{index:06x}{run:02x}",
                    "report_uuid": report_uuid,
                    "template_uuid": template_uuid,
                    "instance_uuid": instance_uuid,
                    "user_uuid": owner.id,
                    "triggered_by": "schedule",
                    "status": status,
                    "parameters_snapshot": {},
                    "time_window_start": requested - timedelta(days=1),
                    "time_window_end": requested,
                    "attempt": 1,
                    "row_count": 100 if status == "completed" else None,
                    "created_at": requested,
                    "updated_at": requested,
                    "started_at": requested,
                    "completed_at": requested + timedelta(seconds=3),
                }
            )
            if newest is None or requested > newest[0]:
                newest = (requested, execution_uuid)
        assert newest is not None
        last.append({"b_id": report_uuid, "b_last": newest[1]})

    _insert(engine, Dashboard.__table__, dashboard_rows)  # type: ignore[arg-type]
    _insert(engine, ReportDefinition.__table__, report_rows)  # type: ignore[arg-type]
    _insert(engine, ReportSchedule.__table__, schedule_rows)  # type: ignore[arg-type]
    _insert(engine, ReportExecution.__table__, execution_rows)  # type: ignore[arg-type]
    table: Table = ReportDefinition.__table__  # type: ignore[assignment]
    with engine.begin() as connection:
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(last_execution_uuid=bindparam("b_last")),
            last,
        )
        connection.execute(text("ANALYZE"))
    return {
        "admin_token": tokens[admin.email],
        "analysts": [(p.email, tokens[p.email], owned[p.email]) for p in people],
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _server_command(port: int, workers: int | None) -> list[str]:
    """`reportbuilder web`: gunicorn serving the app and the API."""
    extra = ["--workers", str(workers)] if workers else []
    return [sys.executable, "-m", "cli", "web", "--host", "127.0.0.1", "--port", str(port), *extra]


@contextmanager
def web_server(env: dict[str, str], workers: int | None) -> Iterator[tuple[int, list[str]]]:
    port = _free_port()
    command = _server_command(port, workers)
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}: {command}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer within 60 s")
            time.sleep(0.2)
        yield port, command
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def timed(
    connection: http.client.HTTPConnection, method: str, path: str, token: str, expect: int
) -> float:
    """Milliseconds for one request over a kept-alive connection, body read."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = "{}" if method == "POST" else None
    start = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != expect:
        raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
    return elapsed


def summary(times: list[float], goal: float) -> dict[str, Any]:
    ordered = sorted(times)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return {
        "requests": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(p95, 1),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
        "goal_p95_ms": goal,
        "met": p95 <= goal,
    }


def explain_list(engine: Engine, actor: Actor) -> None:
    """EXPLAIN ANALYZE of the two queries behind GET /reports: the count and one page."""
    from sqlalchemy import func

    from db.views import report_runs_overview as overview
    from services.reports import _overview_query

    statement = _overview_query(actor)
    count = select(func.count()).select_from(statement.subquery())
    page = statement.order_by(overview.c.updated_at.desc().nulls_last(), overview.c.report_id)
    page = page.limit(50)
    with engine.connect() as connection:
        for label, query in (("count", count), ("page", page)):
            sql = query.compile(
                dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
                compile_kwargs={"literal_binds": True},
            )
            plan = connection.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")).scalars()
            print(f"--- {label} ({actor.role}) ---", file=sys.stderr)
            print("\n".join(plan), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--executions", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--analysts", type=int, default=40)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--suggested-index", action="store_true")
    args = parser.parse_args()
    redis_url = os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/13"
    Redis.from_url(redis_url).flushdb()
    results: dict[str, Any] = {"machine_cores": os.cpu_count()}
    with metadata_database() as database_url, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        migrate.upgrade(database_url)
        engine = make_engine(database_url)
        started = time.perf_counter()
        data = populate(engine, workdir, args.reports, args.executions, args.analysts)
        if args.suggested_index:
            with engine.begin() as connection:
                connection.execute(text(SUGGESTED_INDEX))
                connection.execute(text("ANALYZE"))
            results["suggested_index"] = SUGGESTED_INDEX
        results["data"] = {
            "reports": args.reports,
            "executions": args.executions,
            "schedules": args.reports // 5,
            "analysts": args.analysts,
            "insert_seconds": round(time.perf_counter() - started, 1),
        }
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "RESULTS_DIR": str(workdir / "results"),
            "DATA_DIR": str(workdir),
            "SECRET_KEY": SECRET_KEY,
            "RATE_LIMITS": "off",
        }
        analysts = data["analysts"]
        with web_server(env, args.workers) as (port, command):
            results["server"] = " ".join(
                Path(command[0]).name if i == 0 else part for i, part in enumerate(command)
            )
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            list_path = f"{PREFIX}/reports?limit=50"
            for _ in range(20):  # warm-up: every worker process builds its app on first use
                timed(client, "GET", list_path, data["admin_token"], 200)
            admin_times = [
                timed(client, "GET", list_path, data["admin_token"], 200)
                for _ in range(args.requests)
            ]
            analyst_times = [
                timed(client, "GET", list_path, analysts[i % len(analysts)][1], 200)
                for i in range(args.requests)
            ]
            results["list_reports_admin"] = summary(admin_times, GOALS_MS["list_reports"])
            results["list_reports_analyst"] = summary(analyst_times, GOALS_MS["list_reports"])

            # Runs: each analyst runs their own reports, round robin, at most a few each.
            calls = []
            for i in range(args.requests + 20):
                _email, token, owned = analysts[i % len(analysts)]
                calls.append((f"{PREFIX}/reports/{owned[i // len(analysts)]}/run", token))
            for path, token in calls[:20]:
                timed(client, "POST", path, token, 202)
            run_times = [timed(client, "POST", p, t, 202) for p, t in calls[20:]]
            results["run_report"] = summary(run_times, GOALS_MS["run_report"])
            results["rate_limits"] = (
                "off (RATE_LIMITS=off)"
                if "rate_limits" in _settings_fields()
                else f"on; runs spread over {len(analysts)} users, at most "
                f"{-(-len(calls) // len(analysts))} each, under the 10/minute limit"
            )
        if args.explain:
            with make_session_factory(engine)() as session:
                admin = _actor(session, "admin@bench.local")
                analyst = _actor(session, analysts[0][0])
            explain_list(engine, admin)
            explain_list(engine, analyst)
        engine.dispose()
    print(json.dumps(results, indent=2))


def _settings_fields() -> set[str]:
    from dataclasses import fields

    from settings import Settings

    return {f.name for f in fields(Settings)}


def _actor(session: Session, email: str) -> Actor:
    from db.models import User

    user_uuid = session.scalars(select(User.id).where(User.email == email)).one()
    actor = get_actor(session=session, user_uuid=user_uuid)
    assert actor is not None
    return actor


if __name__ == "__main__":
    main()
