"""GET /metadata/options: any of an instance's option lists searched by name, on SQLite and
PostgreSQL metadata; the campaigns and asins endpoints stay."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Instance
from tests.api.helpers import ApiClient, assert_error
from tests.factories import World

#: The instance's option list "labels": the numbers' labels, searched by what is typed.
LABELS_SQL = (
    "SELECT label AS value, 'Label ' || label AS label FROM numbers "
    "WHERE label LIKE '%' || {{ search }} || '%' ORDER BY x"
)


@pytest.fixture(autouse=True)
def option_lists(session: Session, world: World) -> None:
    instance = session.scalars(select(Instance)).one()
    instance.metadata_queries = {"labels": LABELS_SQL, "campaigns": LABELS_SQL}
    session.commit()


def test_an_option_list_is_searched_by_name(client: ApiClient) -> None:
    response = client.get("/metadata/options?instance_id=wh&list=labels&search=n4&limit=3")

    assert response.status_code == 200, response.json
    assert response.json == {
        "items": [
            {"value": "n4", "label": "Label n4"},
            {"value": "n40", "label": "Label n40"},
            {"value": "n41", "label": "Label n41"},
        ],
        "total": 3,
        "page": 1,
        "limit": 3,
    }


def test_the_named_endpoint_and_the_fixed_one_answer_alike(client: ApiClient) -> None:
    named = client.get("/metadata/options?instance_id=wh&list=campaigns&search=n7").json
    fixed = client.get("/metadata/campaigns?instance_id=wh&search=n7").json

    assert named == fixed
    assert named is not None and named["total"] == 11


def test_a_list_the_instance_lacks_is_an_empty_page(client: ApiClient) -> None:
    response = client.get("/metadata/options?instance_id=wh&list=regions")

    assert response.status_code == 200
    assert response.json == {"items": [], "total": 0, "page": 1, "limit": 50}


@pytest.mark.parametrize("query", ["", "&list=", "&list=Labels", "&list=a-b", "&list=" + "a" * 65])
def test_a_missing_or_malformed_list_name_is_a_field_error(client: ApiClient, query: str) -> None:
    error = assert_error(client.get(f"/metadata/options?instance_id=wh{query}"), 422)

    assert "list" in error["details"]["fields"]


def test_an_instance_not_granted_is_not_found(client: ApiClient) -> None:
    assert_error(client.get("/metadata/options?instance_id=elsewhere&list=labels"), 404)
