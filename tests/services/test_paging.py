"""Pagination in SQL: a list service asked for a page returns exactly that slice of its
whole list, in the same order, with the whole list's total."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Instance, InstanceAccess
from services.dashboards import favorite_dashboard, list_dashboards
from services.data_sources import list_sources
from services.instances import list_instances
from services.paging import MAX_LIMIT, Page, clamp, fetch_page
from services.reports import create_report
from services.templates import list_templates
from tests.factories import TEST_SECRET_KEY, World, create_instance, create_template

Lister = Callable[..., Any]


def _catalogue(session: Session, world: World) -> None:
    """Rows for every list, with tied names and rows the owner may not see."""
    for name in ("Zeta", "Alpha", "Same", "Same", "Beta"):
        create_template(session=session, name=name, category="General", report_type="table")
    create_template(session=session, name="Hidden", is_public=False, owner_uuid=world.other.id)
    create_template(session=session, name="Funnel", report_type="funnel")
    for name in ("Same", "Same", "Alpha", "Omega"):
        instance = create_instance(session=session, name=name)
        if name != "Omega":  # the owner may use the others and `wh`
            session.add(InstanceAccess(instance_uuid=instance.id, user_uuid=world.owner.id))
    create_instance(session=session, name="Retired", is_active=False)
    session.commit()
    for name in ("Same", "Same", "Alpha", "Zeta", "Beta"):
        report = create_report(
            session=session, actor=world.owner, template_id="numbers", instance_id="wh", name=name
        )
        if name in ("Alpha", "Beta"):
            assert report.dashboard_id is not None
            favorite_dashboard(session=session, actor=world.owner, dashboard_id=report.dashboard_id)
    create_report(
        session=session, actor=world.other, template_id="numbers", instance_id="wh", name="Theirs"
    )
    session.commit()


LISTS: dict[str, Callable[[Session, World], tuple[Lister, dict[str, Any]]]] = {
    "dashboards": lambda s, w: (list_dashboards, {"actor": w.owner}),
    "favorite dashboards": lambda s, w: (
        list_dashboards,
        {"actor": w.owner, "favorites_only": True},
    ),
    "templates": lambda s, w: (list_templates, {"actor": w.owner}),
    "templates of a type": lambda s, w: (
        list_templates,
        {"actor": w.owner, "report_type": "table"},
    ),
    "instances": lambda s, w: (list_instances, {"actor": w.admin}),
    "instances granted": lambda s, w: (list_instances, {"actor": w.owner}),
    "sources": lambda s, w: (list_sources, {"actor": w.admin, "secret_key": TEST_SECRET_KEY}),
}


@pytest.mark.parametrize("name", LISTS)
def test_pages_slice_the_whole_list_in_order_with_its_total(
    session: Session, world: World, name: str
) -> None:
    _catalogue(session, world)
    lister, arguments = LISTS[name](session, world)
    whole = lister(session=session, **arguments)

    pages = [lister(session=session, page=n, limit=2, **arguments) for n in range(1, 6)]

    assert len(whole) >= 2
    assert all(isinstance(page, Page) for page in pages)
    assert [page.total for page in pages] == [len(whole)] * 5
    assert [item for page in pages for item in page.items] == whole
    assert pages[-1].items == []


def test_a_report_type_narrows_the_templates_in_sql(session: Session, world: World) -> None:
    _catalogue(session, world)

    funnels = list_templates(session=session, actor=world.owner, report_type="funnel", page=1)

    assert [t.name for t in funnels.items] == ["Funnel"]
    assert funnels.total == 1


def test_fetch_page_clamps_the_page_and_limit_and_maps_rows(session: Session) -> None:
    for name in ("b", "a", "c"):
        create_instance(session=session, instance_id=f"i_{name}", name=name)
    session.commit()
    statement = select(Instance.instance_id).order_by(Instance.instance_id)

    first = fetch_page(session, statement, page=0, limit=2, item=lambda row: row[0].upper())
    second = fetch_page(session, statement, page=2, limit=2, item=lambda row: row[0])

    assert (first.page, first.limit) == (1, 2)
    assert first.items == ["I_A", "I_B"]
    assert second.items == ["i_c"]
    assert first.total == second.total == 3
    assert clamp(3, MAX_LIMIT + 1) == (3, MAX_LIMIT)
