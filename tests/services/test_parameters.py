"""Parameter definitions and validation: every type's normalization and field-level errors."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pytest

from services.errors import TemplateDefinitionError
from services.parameter_types import ParameterDefinition
from services.parameter_validation import (
    DEFAULT_MAX_ITEMS,
    DEFAULT_MAX_TEXT,
    MAX_ID_LENGTH,
    ValidationResult,
    validate,
)
from services.parameters import parse_definitions

TODAY = date(2026, 1, 1)  # a Thursday


def _definition(**spec: Any) -> tuple[ParameterDefinition, ...]:
    return parse_definitions([{"name": "p", **spec}])


def _check(
    spec: Mapping[str, Any],
    raw: Any,
    *,
    today: date = TODAY,
    known_options: Mapping[str, list[str]] | None = None,
) -> ValidationResult:
    return validate(_definition(**spec), {"p": raw}, today=today, known_options=known_options)


def _value(spec: Mapping[str, Any], raw: Any, **kwargs: Any) -> Any:
    result = _check(spec, raw, **kwargs)
    assert result.errors == {}, result.errors
    return result.normalized["p"]


def _error(spec: Mapping[str, Any], raw: Any, **kwargs: Any) -> str:
    result = _check(spec, raw, **kwargs)
    assert "p" not in result.normalized
    assert not result.valid
    return result.errors["p"]


TEXT = {"type": "text"}
NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATE = {"type": "date"}
DATE_RANGE = {"type": "date_range"}
ENUM = {"type": "enum", "options": [{"value": "daily", "label": "Daily"}, "weekly"]}
MULTI = {"type": "multi_select", "options": ["a", "b", "c"]}
CAMPAIGNS = {"type": "campaign_ids"}
ASINS = {"type": "asins"}
COLUMN = {"type": "column", "options": ["impressions", "clicks"]}


# --- text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("hello", "hello"), ("  padded \t", "padded"), (42, "42"), (2.5, "2.5"), ("it's", "it's")],
)
def test_text_is_stripped_and_numbers_become_text(raw: Any, expected: str) -> None:
    assert _value(TEXT, raw) == expected


@pytest.mark.parametrize("raw", [True, ["a"], {"a": 1}, date(2026, 1, 1)])
def test_text_rejects_values_that_are_not_text(raw: Any) -> None:
    assert _error(TEXT, raw) == "Enter text."


def test_text_max_length_counts_characters_after_stripping() -> None:
    spec = {**TEXT, "max_length": 3}

    assert _value(spec, " abc ") == "abc"
    assert _error(spec, "abcd") == "Use at most 3 characters."


def test_text_default_limit_is_ten_thousand_characters() -> None:
    assert _value(TEXT, "x" * DEFAULT_MAX_TEXT) == "x" * DEFAULT_MAX_TEXT
    assert _error(TEXT, "x" * (DEFAULT_MAX_TEXT + 1)) == "Use at most 10000 characters."


def test_text_pattern_must_match_the_whole_value() -> None:
    spec = {**TEXT, "pattern": "[A-Z]{2}[0-9]+"}

    assert _value(spec, "DE42") == "DE42"
    assert _error(spec, "DE42x") == "Must match the pattern [A-Z]{2}[0-9]+."
    assert _error(spec, "xDE42") == "Must match the pattern [A-Z]{2}[0-9]+."


def test_text_pattern_error_uses_the_help_text_when_given() -> None:
    spec = {**TEXT, "pattern": "B0[A-Z0-9]{8}", "help": "An ASIN such as B00EXAMPLE."}

    assert _error(spec, "not-an-asin") == "An ASIN such as B00EXAMPLE."


# --- number and integer -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3.5", 3.5), (" -2 ", -2.0), (2, 2.0), ("1e3", 1000.0), (0.1, 0.1), ("-0", 0.0)],
)
def test_number_accepts_numbers_and_their_text(raw: Any, expected: float) -> None:
    value = _value(NUMBER, raw)

    assert value == expected
    assert isinstance(value, float)


@pytest.mark.parametrize(
    "raw", ["abc", "1,5", "1.2.3", "1_000", "0x10", "1 2", True, False, ["1"], {"v": 1}]
)
def test_number_rejects_what_is_not_a_number(raw: Any) -> None:
    assert _error(NUMBER, raw) == "Enter a number."


@pytest.mark.parametrize(
    "raw", ["nan", "NaN", "inf", "-Infinity", "+inf", float("nan"), float("inf")]
)
def test_number_rejects_nan_and_infinity(raw: Any) -> None:
    assert _error(NUMBER, raw) == "Enter a number."


@pytest.mark.parametrize("raw", ["1e400", "-1e400", 10**400])
def test_number_too_large_for_a_float_is_an_error_not_infinity(raw: Any) -> None:
    assert _error(NUMBER, raw) == "The number is too large."


@pytest.mark.parametrize(
    ("spec", "raw", "message"),
    [
        (NUMBER, "abc", "Enter a number."),
        (NUMBER, "nan", "Enter a number."),
        (NUMBER, "inf", "Enter a number."),
        (NUMBER, "1e400", "The number is too large."),
        (INTEGER, "abc", "Enter a whole number."),
        (INTEGER, "nan", "Enter a whole number."),
        (INTEGER, "inf", "Enter a whole number."),
        (INTEGER, "1e400", "Enter a whole number."),
        (INTEGER, "2.5", "Enter a whole number."),
    ],
)
def test_typed_text_that_is_no_number_is_an_error_never_the_default(
    spec: dict[str, Any], raw: str, message: str
) -> None:
    definitions = _definition(**spec, required=True, default=0)

    result = validate(definitions, {"p": raw}, today=TODAY)

    assert result.errors == {"p": message}
    assert result.normalized == {}


def test_number_bounds_are_inclusive_and_named_in_the_error() -> None:
    spec = {**NUMBER, "min": 0, "max": 0.75}

    assert _value(spec, "0") == 0.0
    assert _value(spec, 0.75) == 0.75
    assert _error(spec, -0.01) == "Must be at least 0."
    assert _error(spec, "0.8") == "Must be at most 0.75."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("42", 42), (" -7 ", -7), ("+3", 3), (5.0, 5), (7, 7), ("0", 0), ("9" * 18, int("9" * 18))],
)
def test_integer_accepts_whole_numbers_and_their_text(raw: Any, expected: int) -> None:
    value = _value(INTEGER, raw)

    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(
    "raw",
    [
        *("4.5", 4.5, "2.5", 2.5, "1e3", "abc", "nan", "inf", "1 2", "9" * 19, "0x10", "1_000"),
        *(True, False, ["1"]),
    ],
)
def test_integer_rejects_what_is_not_a_whole_number(raw: Any) -> None:
    assert _error(INTEGER, raw) == "Enter a whole number."


def test_integer_bounds_are_inclusive_and_named_in_the_error() -> None:
    spec = {**INTEGER, "min": 1, "max": 30}

    assert _value(spec, "1") == 1
    assert _value(spec, 30) == 30
    assert _error(spec, "0") == "Must be at least 1."
    assert _error(spec, 31) == "Must be at most 30."


def test_integer_rejects_values_outside_the_64_bit_range() -> None:
    assert _error(INTEGER, 10**30) == "The number is too large."


# --- boolean ----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [True, "true", "TRUE", " yes ", "Yes", "on", "1", 1])
def test_boolean_true_forms(raw: Any) -> None:
    assert _value(BOOLEAN, raw) is True


@pytest.mark.parametrize("raw", [False, "false", "False", "no", " NO ", "off", "0", 0])
def test_boolean_false_forms(raw: Any) -> None:
    assert _value(BOOLEAN, raw) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "y", "truthy", 2, ["yes"]])
def test_boolean_rejects_other_values(raw: Any) -> None:
    assert _error(BOOLEAN, raw) == "Choose yes or no."


def test_required_boolean_accepts_false() -> None:
    assert _value({**BOOLEAN, "required": True}, False) is False


# --- date -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-01-15", "2026-01-15"),
        (" 2024-02-29 ", "2024-02-29"),
        (date(2025, 7, 4), "2025-07-04"),
        ("today", "2026-01-01"),
        ("yesterday", "2025-12-31"),
        ("start_of_week", "2025-12-29"),
        ("start_of_quarter", "2026-01-01"),
    ],
)
def test_date_accepts_iso_days_and_day_presets(raw: Any, expected: str) -> None:
    assert _value(DATE, raw) == expected


def test_date_presets_resolve_against_the_given_today() -> None:
    assert _value(DATE, "start_of_month", today=date(2026, 11, 26)) == "2026-11-01"


@pytest.mark.parametrize(
    "raw", ["15/01/2026", "next_week", 20260115, "20260115", "2026-W01-1", "2026-1-5"]
)
def test_date_rejects_what_is_not_a_day(raw: Any) -> None:
    assert _error(DATE, raw) == "Enter a date as YYYY-MM-DD."


@pytest.mark.parametrize("raw", ["2025-02-30", "2023-02-29", "2026-13-01", "2026-04-31"])
def test_an_impossible_date_is_not_a_valid_date(raw: str) -> None:
    assert _error(DATE, raw) == f"Not a valid date: {raw} does not exist."


def test_an_impossible_date_is_an_error_even_with_a_default() -> None:
    definitions = _definition(type="date", required=True, default="yesterday")

    result = validate(definitions, {"p": "2025-02-30"}, today=TODAY)

    assert result.errors == {"p": "Not a valid date: 2025-02-30 does not exist."}
    assert result.normalized == {}


def test_date_given_a_datetime_normalizes_to_its_day() -> None:
    assert _value(DATE, datetime(2026, 1, 5, 10, 0)) == "2026-01-05"


# --- date_range -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "2026-01-01..2026-01-31",
        " 2026-01-01 .. 2026-01-31 ",
        {"start": "2026-01-01", "end": "2026-01-31"},
        {"start": date(2026, 1, 1), "end": date(2026, 1, 31)},
    ],
)
def test_date_range_accepts_explicit_days_in_every_form(raw: Any) -> None:
    assert _value(DATE_RANGE, raw) == {"start": "2026-01-01", "end": "2026-01-31"}


@pytest.mark.parametrize("raw", ["last_7_days", " last_7_days ", {"preset": "last_7_days"}])
def test_date_range_resolves_presets_against_today(raw: Any) -> None:
    assert _value(DATE_RANGE, raw) == {"start": "2025-12-25", "end": "2025-12-31"}


def test_date_range_previous_week_on_a_thursday_in_november() -> None:
    value = _value(DATE_RANGE, "previous_week", today=date(2026, 11, 26))

    assert value == {"start": "2026-11-16", "end": "2026-11-22"}


def test_date_range_of_a_single_day_is_allowed() -> None:
    assert _value(DATE_RANGE, "2026-01-05..2026-01-05") == {
        "start": "2026-01-05",
        "end": "2026-01-05",
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2026-01-31..2026-01-01", "The end date is before the start date."),
        ("next_week", "Unknown range 'next_week'; choose a preset or enter start and end."),
        ("2026-01-01..", "Enter a date as YYYY-MM-DD."),
        ("2026-01-01..31.01.2026", "Enter a date as YYYY-MM-DD."),
        ({"start": "2026-01-01"}, "Enter a date as YYYY-MM-DD."),
        ("2025-02-30..2025-03-05", "Not a valid date: 2025-02-30 does not exist."),
        (
            {"start": "2025-02-01", "end": "2025-02-30"},
            "Not a valid date: 2025-02-30 does not exist.",
        ),
        (
            {"preset": "fortnight"},
            "Unknown range 'fortnight'; choose a preset or enter start and end.",
        ),
        (5, "Enter a start and an end date."),
        (["2026-01-01", "2026-01-31"], "Enter a start and an end date."),
    ],
)
def test_date_range_errors(raw: Any, message: str) -> None:
    assert _error(DATE_RANGE, raw) == message


def test_date_range_max_limits_the_number_of_days_inclusive() -> None:
    spec = {**DATE_RANGE, "max": 31}

    assert _value(spec, "2026-01-01..2026-01-31")["end"] == "2026-01-31"
    assert _error(spec, "2026-01-01..2026-02-01") == "Choose at most 31 days."
    assert _error(spec, "last_90_days") == "Choose at most 31 days."


# --- enum, multi_select, column ---------------------------------------------------------


def test_enum_accepts_an_option_value() -> None:
    assert _value(ENUM, "daily") == "daily"
    assert _value(ENUM, "weekly") == "weekly"


def test_enum_returns_the_option_value_for_its_text_form() -> None:
    spec = {"type": "enum", "options": [7, 14, 28]}

    value = _value(spec, "14")

    assert value == 14
    assert type(value) is int


@pytest.mark.parametrize("raw", ["monthly", "Daily", "daily; DROP TABLE t", ["daily"]])
def test_enum_rejects_values_not_in_options(raw: Any) -> None:
    assert _error(ENUM, raw) == "Choose one of the listed options."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a,b", ["a", "b"]),
        (" c , , a ", ["c", "a"]),
        (["b", "a", "b"], ["b", "a"]),
        (("a",), ["a"]),
    ],
)
def test_multi_select_takes_lists_and_comma_separated_text(raw: Any, expected: list[str]) -> None:
    assert _value(MULTI, raw) == expected


def test_multi_select_maps_text_to_option_values() -> None:
    assert _value({"type": "multi_select", "options": [7, 14]}, "14,7") == [14, 7]


def test_multi_select_errors() -> None:
    assert _error(MULTI, "a,z") == "Choose one of the listed options."
    assert _error(MULTI, 5) == "Choose one or more values."
    assert _error({**MULTI, "max_items": 2}, "a,b,c") == "Choose at most 2 values."


def test_column_accepts_only_a_whitelisted_identifier() -> None:
    assert _value(COLUMN, "clicks") == "clicks"
    for hostile in ['"clicks"', "clicks; DROP TABLE t", "Clicks", "clicks --", "1"]:
        assert _error(COLUMN, hostile) == "Choose one of the listed options."


# --- campaign_ids and asins -------------------------------------------------------------


@pytest.mark.parametrize("spec", [CAMPAIGNS, ASINS])
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("c1,c2", ["c1", "c2"]),
        (" c1 , c2 ,c1, ", ["c1", "c2"]),
        ([" c1 ", "c2", "c1"], ["c1", "c2"]),
        ([101, "102"], ["101", "102"]),
        ("single", ["single"]),
    ],
)
def test_id_lists_take_lists_and_comma_separated_text(
    spec: dict[str, Any], raw: Any, expected: list[str]
) -> None:
    assert _value(spec, raw) == expected


def test_integer_campaign_ids_become_ints() -> None:
    spec = {**CAMPAIGNS, "item_type": "integer"}

    assert _value(spec, "101, -5,+7") == [101, -5, 7]
    assert _error(spec, "101,abc") == "'abc' is not a numeric id."


@pytest.mark.parametrize("raw", [[True], [1.5], [None], [["c1"]], [{"id": "c1"}]])
def test_id_lists_reject_items_that_are_not_ids(raw: Any) -> None:
    assert _error(CAMPAIGNS, raw) == "Each value must be an id."


def test_id_items_have_one_to_128_characters() -> None:
    longest = "x" * MAX_ID_LENGTH

    assert _value(ASINS, [longest]) == [longest]
    assert _error(ASINS, [longest + "x"]) == "Each id has 1 to 128 characters."
    assert _error(ASINS, ["c1", "   "]) == "Each id has 1 to 128 characters."


def test_id_lists_are_limited_after_removing_duplicates() -> None:
    assert _value(CAMPAIGNS, ["same"] * (DEFAULT_MAX_ITEMS + 5)) == ["same"]
    many = [f"c{i}" for i in range(DEFAULT_MAX_ITEMS + 1)]
    assert _error(CAMPAIGNS, many) == "Choose at most 1000 values."
    assert _error({**CAMPAIGNS, "max_items": 2}, "a,b,c") == "Choose at most 2 values."


def test_id_lists_rejects_other_shapes() -> None:
    assert _error(CAMPAIGNS, 5) == "Choose one or more values."
    assert _error(CAMPAIGNS, {"c1": True}) == "Choose one or more values."


def test_known_options_restrict_campaign_ids_to_the_instance() -> None:
    known = {"campaigns": ["c1", "c2"]}

    assert _value(CAMPAIGNS, "c2,c1", known_options=known) == ["c2", "c1"]
    assert (
        _error(CAMPAIGNS, "c1,c9,c8", known_options=known) == "Not found on this instance: c9, c8."
    )


def test_known_options_name_at_most_five_missing_ids() -> None:
    message = _error(CAMPAIGNS, "a,b,c,d,e,f,g", known_options={"campaigns": []})

    assert message == "Not found on this instance: a, b, c, d, e."


def test_known_options_apply_per_metadata_kind() -> None:
    known = {"campaigns": ["c1"]}

    assert _value(ASINS, "B000000001", known_options=known) == ["B000000001"]
    assert _error(ASINS, "B0X", known_options={"asins": ["B000000001"]}) == (
        "Not found on this instance: B0X."
    )


def test_known_options_do_not_make_an_empty_optional_list_invalid() -> None:
    assert _value(CAMPAIGNS, None, known_options={"campaigns": ["c1"]}) == []


def test_known_options_restrict_integer_campaign_ids() -> None:
    spec = {**CAMPAIGNS, "item_type": "integer"}

    assert _error(spec, "1,3", known_options={"campaigns": ["1", "2"]}) == (
        "Not found on this instance: 3."
    )


@pytest.mark.parametrize("raw", [",", " , ,", ()])
def test_required_list_that_is_empty_after_splitting_is_an_error(raw: Any) -> None:
    assert _error({**CAMPAIGNS, "required": True}, raw) == "This field is required."


# --- required, defaults, unknown names --------------------------------------------------


@pytest.mark.parametrize("spec", [TEXT, INTEGER, DATE, DATE_RANGE, ENUM, CAMPAIGNS, COLUMN])
@pytest.mark.parametrize("raw", [None, "", "   ", []])
def test_required_without_a_value_or_default_is_an_error(spec: dict[str, Any], raw: Any) -> None:
    assert _error({**spec, "required": True}, raw) == "This field is required."


def test_required_field_missing_from_the_values_is_an_error() -> None:
    definitions = _definition(type="text", required=True)

    result = validate(definitions, {}, today=TODAY)

    assert result.errors == {"p": "This field is required."}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"type": "integer", "default": "30"}, 30),
        ({"type": "boolean", "default": "yes"}, True),
        (
            {"type": "date_range", "default": "last_7_days"},
            {"start": "2025-12-25", "end": "2025-12-31"},
        ),
        ({"type": "campaign_ids", "default": "c1,c2"}, ["c1", "c2"]),
        ({**ENUM, "default": "weekly"}, "weekly"),
        ({**COLUMN, "default": "clicks"}, "clicks"),
    ],
)
def test_required_with_a_default_uses_the_normalized_default_when_not_given(
    spec: dict[str, Any], expected: Any
) -> None:
    definitions = _definition(**spec, required=True)

    result = validate(definitions, {}, today=TODAY)

    assert result.errors == {}
    assert result.normalized == {"p": expected}


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "number", "default": 0},
        {"type": "integer", "default": 30},
        {"type": "text", "default": "x"},
        {"type": "date", "default": "yesterday"},
        {"type": "date_range", "default": "last_7_days"},
        {"type": "campaign_ids", "default": "c1"},
    ],
)
@pytest.mark.parametrize("raw", [None, "", "  ", []])
def test_a_cleared_required_field_is_required_not_its_default(
    spec: dict[str, Any], raw: Any
) -> None:
    assert _error({**spec, "required": True}, raw) == "This field is required."


def test_a_cleared_optional_field_takes_its_default() -> None:
    assert _value({"type": "integer", "default": 30}, "") == 30


def test_a_given_value_wins_over_the_default() -> None:
    assert _value({"type": "integer", "default": 30}, "7") == 7


def test_optional_without_a_value_is_none_or_an_empty_list() -> None:
    definitions = parse_definitions(
        [{"name": "name", "type": "text"}, {"name": "ids", "type": "asins"}]
    )

    result = validate(definitions, {"name": "  "}, today=TODAY)

    assert result.errors == {}
    assert result.normalized == {"name": None, "ids": []}


def test_unknown_parameter_name_is_an_error_under_that_name() -> None:
    definitions = _definition(type="integer")

    result = validate(definitions, {"p": "3", "lookbak": "7"}, today=TODAY)

    assert result.errors == {"lookbak": "Unknown parameter."}
    assert result.normalized == {"p": 3}
    assert not result.valid


def test_errors_are_reported_for_every_bad_field_at_once() -> None:
    definitions = parse_definitions(
        [
            {"name": "days", "type": "integer", "min": 1},
            {"name": "flag", "type": "boolean"},
            {"name": "name", "type": "text", "required": True},
            {"name": "ok", "type": "text"},
        ]
    )

    result = validate(definitions, {"days": "0", "flag": "perhaps", "ok": "fine"}, today=TODAY)

    assert result.errors == {
        "days": "Must be at least 1.",
        "flag": "Choose yes or no.",
        "name": "This field is required.",
    }
    assert result.normalized == {"ok": "fine"}


# --- parse_definitions ------------------------------------------------------------------


def test_parse_definitions_fills_labels_and_keeps_options() -> None:
    (definition,) = parse_definitions(
        [{"name": "campaign_name", "type": "enum", "options": [{"value": 1, "label": "One"}, 2]}]
    )

    assert definition.label == "Campaign name"
    assert [(o.value, o.label) for o in definition.options] == [(1, "One"), (2, "2")]


def test_to_dict_has_the_public_shape() -> None:
    (definition,) = parse_definitions(
        [{"name": "ids", "type": "campaign_ids", "label": "Campaigns", "max_items": 5}]
    )

    assert definition.to_dict() == {
        "name": "ids",
        "type": "campaign_ids",
        "label": "Campaigns",
        "required": False,
        "default": None,
        "max_items": 5,
        "options_source": "campaigns",
    }


@pytest.mark.parametrize(
    "name", ["CampaignName", "1st", "with-dash", "with space", "", None, 7, "a" * 64, "naïve"]
)
def test_parse_definitions_rejects_names_that_are_not_snake_case(name: Any) -> None:
    with pytest.raises(TemplateDefinitionError, match="snake_case"):
        parse_definitions([{"name": name, "type": "text"}])


@pytest.mark.parametrize("name", ["window_start", "window_end"])
def test_parse_definitions_rejects_the_window_names(name: str) -> None:
    with pytest.raises(TemplateDefinitionError, match="time window"):
        parse_definitions([{"name": name, "type": "date"}])


@pytest.mark.parametrize("kind", ["string", "float", "", None, "Text"])
def test_parse_definitions_rejects_unknown_types(kind: Any) -> None:
    with pytest.raises(TemplateDefinitionError, match="unknown type"):
        parse_definitions([{"name": "p", "type": kind}])


def test_parse_definitions_rejects_duplicate_names() -> None:
    with pytest.raises(TemplateDefinitionError, match="used twice"):
        parse_definitions([{"name": "p", "type": "text"}, {"name": "p", "type": "integer"}])


@pytest.mark.parametrize("kind", ["enum", "multi_select", "column"])
def test_parse_definitions_rejects_choices_without_options(kind: str) -> None:
    with pytest.raises(TemplateDefinitionError, match="needs options"):
        parse_definitions([{"name": "p", "type": kind}])
    with pytest.raises(TemplateDefinitionError, match="needs options"):
        parse_definitions([{"name": "p", "type": kind, "options": []}])


@pytest.mark.parametrize("option", ["two words", "x; DROP TABLE t", '"quoted"', "1st", 5, "a.b"])
def test_parse_definitions_rejects_column_options_that_are_not_identifiers(option: Any) -> None:
    with pytest.raises(TemplateDefinitionError, match="plain identifiers"):
        parse_definitions([{"name": "p", "type": "column", "options": ["ok", option]}])


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "integer", "default": "abc"},
        {"type": "integer", "min": 1, "default": 0},
        {"type": "enum", "options": ["a"], "default": "b"},
        {"type": "date_range", "default": "next_week"},
        {"type": "date", "default": "01/02/2026"},
        {"type": "column", "options": ["a"], "default": "b"},
        {"type": "text", "pattern": "[0-9]+", "default": "abc"},
    ],
)
def test_parse_definitions_rejects_an_invalid_default(spec: dict[str, Any]) -> None:
    with pytest.raises(TemplateDefinitionError, match="default of 'p' is invalid"):
        parse_definitions([{"name": "p", **spec}])


def test_parse_definitions_rejects_unknown_keys_and_item_types() -> None:
    with pytest.raises(TemplateDefinitionError, match="unknown keys"):
        parse_definitions([{"name": "p", "type": "integer", "minimum": 1}])
    with pytest.raises(TemplateDefinitionError, match="item_type"):
        parse_definitions([{"name": "p", "type": "campaign_ids", "item_type": "float"}])


def test_parse_definitions_rejects_an_invalid_pattern() -> None:
    with pytest.raises(TemplateDefinitionError):
        parse_definitions([{"name": "p", "type": "text", "pattern": "("}])


@pytest.mark.parametrize(
    "spec",
    [
        {"name": "ok\n", "type": "text"},
        {"name": "p", "type": "column", "options": ["amount\n"]},
    ],
)
def test_parse_definitions_rejects_a_trailing_newline_in_names(spec: dict[str, Any]) -> None:
    with pytest.raises(TemplateDefinitionError):
        parse_definitions([spec])


def test_parse_definitions_rejects_an_option_without_a_value() -> None:
    with pytest.raises(TemplateDefinitionError):
        parse_definitions([{"name": "p", "type": "enum", "options": [{"label": "Daily"}]}])


# --- option_list: ids picked from an option list the definition names ---------------------

REGIONS = {"type": "option_list", "options_source": "regions"}


def test_an_option_list_is_a_list_of_ids_like_campaign_ids() -> None:
    (definition,) = _definition(**REGIONS)

    assert definition.is_list and definition.metadata_kind == "regions"
    assert _value(REGIONS, "eu, us,eu") == ["eu", "us"]
    assert _value(REGIONS, ["eu", 7]) == ["eu", "7"]
    assert _value(REGIONS, None) == []
    assert _value({**REGIONS, "item_type": "integer"}, "3, 1") == [3, 1]
    assert _error({**REGIONS, "item_type": "integer"}, "3,x") == "'x' is not a numeric id."
    assert _error({**REGIONS, "max_items": 2}, "a,b,c") == "Choose at most 2 values."
    assert _error(REGIONS, ["x" * (MAX_ID_LENGTH + 1)]) == (
        f"Each id has 1 to {MAX_ID_LENGTH} characters."
    )
    assert _error({**REGIONS, "required": True}, []) == "This field is required."


def test_known_options_restrict_an_option_list_by_its_own_list_name() -> None:
    known = {"regions": ["eu", "us"], "campaigns": ["apac"]}

    assert _value(REGIONS, "us", known_options=known) == ["us"]
    assert _error(REGIONS, "eu,apac", known_options=known) == "Not found on this instance: apac."
    assert _value(REGIONS, "apac", known_options={"campaigns": ["c1"]}) == ["apac"]


@pytest.mark.parametrize("source", [None, "", "  "])
def test_an_option_list_without_its_list_name_is_refused(source: Any) -> None:
    spec = {"type": "option_list"} if source is None else {**REGIONS, "options_source": source}

    with pytest.raises(TemplateDefinitionError, match="needs options_source"):
        _definition(**spec)


@pytest.mark.parametrize("source", ["Regions", "1st", "with-dash", "a b", 7, ["regions"]])
def test_an_option_list_name_must_be_a_list_slug(source: Any) -> None:
    with pytest.raises(TemplateDefinitionError, match="must be an option list name"):
        _definition(**{**REGIONS, "options_source": source})


def test_options_source_belongs_to_option_lists_and_matches_fixed_lists() -> None:
    (campaigns,) = _definition(type="campaign_ids", options_source="campaigns")

    assert campaigns.metadata_kind == "campaigns" and campaigns.options_source is None
    with pytest.raises(TemplateDefinitionError, match="options_source is 'asins'"):
        _definition(type="asins", options_source="regions")
    with pytest.raises(TemplateDefinitionError, match="for option_list parameters only"):
        _definition(type="text", options_source="regions")


def test_an_option_list_default_is_checked_like_a_value() -> None:
    assert _definition(**REGIONS, default=["eu"])[0].default == ["eu"]
    with pytest.raises(TemplateDefinitionError, match="default of 'p'"):
        _definition(**REGIONS, item_type="integer", default=["eu"])


def test_to_dict_of_an_option_list_parses_back_to_the_same_definition() -> None:
    raw = {
        "name": "regions",
        "type": "option_list",
        "label": "Regions",
        "options_source": "regions",
        "item_type": "integer",
        "max_items": 3,
        "default": [1, 2],
    }
    (definition,) = parse_definitions([raw])

    public = definition.to_dict()

    assert public == {**raw, "required": False}
    assert parse_definitions([public]) == (definition,)
