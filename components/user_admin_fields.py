"""Form pieces the people pages share: a labelled input with its field error, the password
rules, a one-time link box, and the outputs that show a service's field errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import Output, dcc, html

from components.navbar import create_icon
from services.users import PASSWORD_RULES


def error_id(field_id: str) -> str:
    return f"{field_id}-error"


def create_field(
    label: str,
    field_id: str,
    *,
    type: str = "text",
    autocomplete: str | None = None,
    help: str | None = None,
    **props: Any,
) -> html.Div:
    """A label, an input and the place its field error appears (under the input)."""
    if autocomplete is not None:
        props["autocomplete"] = autocomplete
    children: list[Any] = [
        dbc.Label(label, html_for=field_id, class_name="fw-semibold"),
        dbc.Input(id=field_id, type=type, **props),
        dbc.FormFeedback(id=error_id(field_id), type="invalid"),
    ]
    if help:
        children.append(dbc.FormText(help))
    return html.Div(children, className="mb-3")


def create_password_rules(id: str) -> html.Div:
    """The password rules (services.users.PASSWORD_RULES), shown in every password form."""
    return html.Div(
        [create_icon("shield-check", class_name="me-1"), f"Password rules: {PASSWORD_RULES}"],
        id=id,
        className="form-text mb-3",
    )


def field_outputs(fields: Mapping[str, str]) -> dict[str, Output]:
    """`{field}_invalid` and `{field}_error` outputs for each field name → input id."""
    outputs: dict[str, Output] = {}
    for field, field_id in fields.items():
        outputs[f"{field}_invalid"] = Output(field_id, "invalid")
        outputs[f"{field}_error"] = Output(error_id(field_id), "children")
    return outputs


def field_values(fields: Mapping[str, str], errors: Mapping[str, str]) -> dict[str, Any]:
    """Values for `field_outputs`: each field's error, or none."""
    values: dict[str, Any] = {}
    for field in fields:
        values[f"{field}_invalid"] = field in errors
        values[f"{field}_error"] = errors.get(field, "")
    return values


def create_link_box(url: str, *, id: str, who: str) -> html.Div:
    """A one-time set-password link with a copy button; it is shown only this once."""
    value_id = f"{id}-value"
    return html.Div(
        [
            dbc.Label(f"Set-password link for {who}", html_for=value_id, class_name="fw-semibold"),
            dbc.InputGroup(
                [
                    dbc.Input(id=value_id, value=url, readonly=True, class_name="font-monospace"),
                    dcc.Clipboard(
                        id=f"{id}-copy",
                        target_id=value_id,
                        title="Copy the link",
                        className="btn btn-outline-secondary",
                    ),
                ]
            ),
            dbc.FormText(
                "Send it to them: it works once, for 72 hours, and is not shown again.",
                class_name="d-block",
            ),
        ],
        id=id,
        className="mb-3",
    )
