"""Every library template, run on the demo instance through Redis and a real worker
process, completes with rows (issue 3: "a run of every library template completes")."""

from __future__ import annotations

from pathlib import Path

from redis import Redis
from sqlalchemy.orm import Session

from services.demo import ensure_demo
from services.executions import get_execution, run_template
from services.library import read_library
from services.users import system_actor
from settings import load_settings
from tests.factories import TEST_SECRET_KEY, run_worker_burst


def test_every_library_template_completes_with_rows_on_the_demo(
    session: Session, tmp_path: Path, redis: Redis, worker_env: dict[str, str]
) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path), "SECRET_KEY": TEST_SECRET_KEY})
    ensure_demo(session=session, settings=settings, scale=0.05)
    session.commit()
    actor = system_actor(session=session)
    runs = {
        template.template_id: run_template(
            session=session,
            redis=redis,
            actor=actor,
            template_id=template.template_id,
            instance_id="demo",
        ).execution_id
        for template in read_library()
    }
    assert len(runs) >= 10

    run_worker_burst(worker_env)

    outcomes = {
        template_id: get_execution(session=session, actor=actor, execution_id=execution_id)
        for template_id, execution_id in runs.items()
    }
    failed = {t: o.error_message for t, o in outcomes.items() if o.status != "completed"}
    assert failed == {}
    empty = [t for t, o in outcomes.items() if not o.row_count]
    assert empty == []
