"""Who may do what, for every service call: the report's owner, another analyst, a viewer
with access to the instance, and an admin. Someone else's report is "not found"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from services import cancels, executions, reports, run_results
from services.errors import (
    Conflict,
    ExecutionNotFound,
    InstanceNotFound,
    PermissionDenied,
    ReportNotFound,
)
from services.results import ResultsStore
from services.users import Actor, create_user
from tests.factories import World

OK = "ok"
ROLES = ("owner", "other", "viewer", "admin")


class Setup:
    """A report owned by `owner` on instance `wh`, with one pending run."""

    def __init__(self, session: Session, world: World, store: ResultsStore) -> None:
        self.session = session
        self.world = world
        self.store = store
        self.report = reports.create_report(
            session=session, actor=world.owner, template_id="numbers", instance_id="wh", name="R"
        )
        self.run = executions.run_report(
            session=session, redis=None, actor=world.owner, report_id=self.report.report_id
        )


Call = Callable[[Setup, Actor], Any]

CALLS: dict[str, tuple[Call, dict[str, object]]] = {
    # name: (call, outcome per role: OK or the exception type)
    "get_report": (
        lambda s, a: reports.get_report(session=s.session, actor=a, report_id=s.report.report_id),
        {"owner": OK, "other": ReportNotFound, "viewer": OK, "admin": OK},
    ),
    "list_reports": (
        lambda s, a: _listed(
            reports.list_reports(session=s.session, actor=a).items, s.report.report_id
        ),
        {"owner": OK, "other": ReportNotFound, "viewer": OK, "admin": OK},
    ),
    "update_report": (
        lambda s, a: reports.update_report(
            session=s.session, actor=a, report_id=s.report.report_id, changes={"name": "New"}
        ),
        {"owner": OK, "other": ReportNotFound, "viewer": PermissionDenied, "admin": OK},
    ),
    "set_active": (
        lambda s, a: reports.set_active(
            session=s.session, actor=a, report_id=s.report.report_id, active=False
        ),
        {"owner": OK, "other": ReportNotFound, "viewer": PermissionDenied, "admin": OK},
    ),
    "delete_report": (
        lambda s, a: reports.delete_report(
            session=s.session, actor=a, report_id=s.report.report_id
        ),
        {"owner": OK, "other": ReportNotFound, "viewer": PermissionDenied, "admin": OK},
    ),
    "create_report": (
        lambda s, a: reports.create_report(
            session=s.session, actor=a, template_id="numbers", instance_id="wh", name="Mine"
        ),
        {"owner": OK, "other": OK, "viewer": PermissionDenied, "admin": OK},
    ),
    "run_report": (
        lambda s, a: executions.run_report(
            session=s.session, redis=None, actor=a, report_id=s.report.report_id
        ),
        {"owner": OK, "other": ReportNotFound, "viewer": PermissionDenied, "admin": OK},
    ),
    "run_template": (
        lambda s, a: executions.run_template(
            session=s.session, redis=None, actor=a, template_id="numbers", instance_id="wh"
        ),
        {"owner": OK, "other": OK, "viewer": PermissionDenied, "admin": OK},
    ),
    "get_execution": (
        lambda s, a: executions.get_execution(
            session=s.session, actor=a, execution_id=s.run.execution_id
        ),
        {"owner": OK, "other": ExecutionNotFound, "viewer": OK, "admin": OK},
    ),
    "list_executions": (
        lambda s, a: _listed(
            executions.list_executions(session=s.session, actor=a).items, s.run.execution_id
        ),
        {"owner": OK, "other": ReportNotFound, "viewer": OK, "admin": OK},
    ),
    "list_executions_of_report": (
        lambda s, a: executions.list_executions(
            session=s.session, actor=a, report_id=s.report.report_id
        ),
        {"owner": OK, "other": ReportNotFound, "viewer": OK, "admin": OK},
    ),
    "cancel_execution": (
        lambda s, a: cancels.cancel_execution(
            session=s.session, redis=None, actor=a, execution_id=s.run.execution_id
        ),
        {"owner": OK, "other": ExecutionNotFound, "viewer": PermissionDenied, "admin": OK},
    ),
    # The run is still pending: those who may see it learn it has no result yet.
    "preview_result": (
        lambda s, a: run_results.preview_result(
            session=s.session, actor=a, store=s.store, execution_id=s.run.execution_id
        ),
        {"owner": Conflict, "other": ExecutionNotFound, "viewer": Conflict, "admin": Conflict},
    ),
    "result_download": (
        lambda s, a: run_results.result_download(
            session=s.session, actor=a, store=s.store, execution_id=s.run.execution_id, format="csv"
        ),
        {"owner": Conflict, "other": ExecutionNotFound, "viewer": Conflict, "admin": Conflict},
    ),
}


def _listed(items: list[Any], wanted: str) -> None:
    ids = {getattr(i, "report_id", None) for i in items} | {
        getattr(i, "execution_id", None) for i in items
    }
    if wanted not in ids:
        raise ReportNotFound(wanted)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_authorization_matrix(
    session: Session, world: World, store: ResultsStore, name: str, role: str
) -> None:
    call, outcomes = CALLS[name]
    setup = Setup(session, world, store)
    actor = getattr(world, role)
    expected = outcomes[role]
    if expected == OK:
        call(setup, actor)
    else:
        assert isinstance(expected, type)
        with pytest.raises(expected):
            call(setup, actor)


def test_a_user_without_access_to_the_instance_cannot_use_it(
    session: Session, world: World
) -> None:
    stranger = create_user(session=session, email="stranger@example.com", role="analyst")
    session.commit()
    with pytest.raises(InstanceNotFound):
        executions.run_template(
            session=session, redis=None, actor=stranger, template_id="numbers", instance_id="wh"
        )
    with pytest.raises(InstanceNotFound):
        reports.create_report(
            session=session, actor=stranger, template_id="numbers", instance_id="wh", name="X"
        )


def test_an_analyst_who_loses_access_to_the_instance_no_longer_sees_their_report(
    session: Session, world: World, store: ResultsStore
) -> None:
    from db.models import InstanceAccess

    setup = Setup(session, world, store)
    session.query(InstanceAccess).filter(InstanceAccess.user_uuid == world.owner.id).delete()
    session.commit()
    with pytest.raises(ReportNotFound):
        reports.get_report(session=session, actor=world.owner, report_id=setup.report.report_id)
