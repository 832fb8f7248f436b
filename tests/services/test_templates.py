from __future__ import annotations

from sqlalchemy.orm import Session

from services.templates import TemplateSummary, fits_instance, list_templates
from tests.factories import create_template


def _insert_catalogue(session: Session) -> None:
    create_template(
        session=session,
        template_id="tpl_reach",
        name="Reach and frequency",
        category="Reach",
        description="Unique users reached per campaign",
        report_type="bar",
    )
    create_template(
        session=session,
        template_id="tpl_paths",
        name="Path to conversion",
        category="Attribution",
        description="Touchpoint sequences before a purchase",
        parameter_definitions=[
            {"name": "campaign_ids", "type": "campaign_ids"},
            {"name": "lookback", "type": "integer"},
        ],
        min_data_age_days=14,
    )
    create_template(
        session=session,
        template_id="tpl_overlap",
        name="Audience overlap",
        category="Attribution",
        description="Users exposed to 100% of the selected campaigns",
    )
    session.commit()


def test_list_templates_orders_by_category_then_name(session: Session) -> None:
    _insert_catalogue(session)

    names = [t.name for t in list_templates(session=session, actor=None)]

    assert names == ["Audience overlap", "Path to conversion", "Reach and frequency"]


def test_list_templates_summarises_each_template(session: Session) -> None:
    _insert_catalogue(session)

    summaries = {t.template_id: t for t in list_templates(session=session, actor=None)}

    assert summaries["tpl_paths"] == TemplateSummary(
        template_id="tpl_paths",
        name="Path to conversion",
        description="Touchpoint sequences before a purchase",
        category="Attribution",
        report_type="table",
        parameter_count=2,
        min_data_age_days=14,
        metadata_needs=("campaigns",),  # its campaign_ids parameter picks from that list
    )
    assert summaries["tpl_reach"].parameter_count == 0
    assert summaries["tpl_reach"].metadata_needs == ()
    assert summaries["tpl_reach"].report_type == "bar"


def test_an_option_list_parameter_fits_only_sources_that_have_its_list(
    session: Session,
) -> None:
    create_template(
        session=session,
        template_id="tpl_regions",
        name="Sales by region",
        parameter_definitions=[
            {"name": "regions", "type": "option_list", "options_source": "regions"},
            {"name": "asins", "type": "asins"},
        ],
    )
    session.commit()

    (summary,) = list_templates(session=session, actor=None)

    assert summary.metadata_needs == ("asins", "regions")
    assert fits_instance(summary.metadata_needs, ["asins", "campaigns", "regions"])
    assert not fits_instance(summary.metadata_needs, ["asins", "campaigns"])
    assert not fits_instance(summary.metadata_needs, ["regions"])


def test_search_matches_name_description_or_id_ignoring_case(session: Session) -> None:
    _insert_catalogue(session)

    def ids(search: str) -> list[str]:
        return [t.template_id for t in list_templates(session=session, actor=None, search=search)]

    assert ids("REACH") == ["tpl_reach"]
    assert ids("purchase") == ["tpl_paths"]
    assert ids("tpl_overlap") == ["tpl_overlap"]
    assert ids("no such thing") == []


def test_search_treats_like_wildcards_as_plain_characters(session: Session) -> None:
    _insert_catalogue(session)

    assert [t.template_id for t in list_templates(session=session, actor=None, search="100%")] == [
        "tpl_overlap"
    ]
    assert list_templates(session=session, actor=None, search="%") == list_templates(
        session=session, actor=None, search="100%"
    )
    assert list_templates(session=session, actor=None, search="n_o") == []


def test_category_filter_keeps_only_that_category(session: Session) -> None:
    _insert_catalogue(session)

    attribution = list_templates(session=session, actor=None, category="Attribution")

    assert [t.template_id for t in attribution] == ["tpl_overlap", "tpl_paths"]
    assert list_templates(session=session, actor=None, category="Nope") == []


def test_search_and_category_combine(session: Session) -> None:
    _insert_catalogue(session)

    found = list_templates(session=session, actor=None, search="users", category="Attribution")

    assert [t.template_id for t in found] == ["tpl_overlap"]


def test_blank_search_and_category_filter_nothing(session: Session) -> None:
    _insert_catalogue(session)

    assert len(list_templates(session=session, actor=None, search="  ", category="")) == 3


def test_list_templates_is_empty_on_a_new_database(session: Session) -> None:
    assert list_templates(session=session, actor=None) == []
