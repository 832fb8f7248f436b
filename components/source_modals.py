"""The modals of Admin → Data sources: the source form, the delete confirmation, the schema."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components import source_form as form_ui


def create_form_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Add data source", id="admin-sources-form-title")),
            dbc.ModalBody(form_ui.create_source_form()),
            dbc.ModalFooter(
                [
                    html.Div(id="admin-sources-form-test", className="me-auto small"),
                    dbc.Button(
                        [html.I(className="bi bi-plug me-1"), "Test connection"],
                        id="admin-sources-form-test-button",
                        color="success",
                        outline=True,
                    ),
                    dbc.Button("Cancel", id="admin-sources-form-cancel", color="secondary"),
                    dbc.Button("Save", id="admin-sources-save", color="primary"),
                ]
            ),
        ],
        id="admin-sources-modal",
        size="lg",
        scrollable=True,
        is_open=False,
    )


def create_delete_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Delete data source")),
            dbc.ModalBody(
                [
                    html.P(id="admin-sources-delete-question"),
                    html.Div(id="admin-sources-delete-error"),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button("Cancel", id="admin-sources-delete-cancel", color="secondary"),
                    dbc.Button("Delete", id="admin-sources-delete-confirm", color="danger"),
                ]
            ),
        ],
        id="admin-sources-delete-modal",
        is_open=False,
    )


def create_schema_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Schema", id="admin-sources-schema-title")),
            dbc.ModalBody(id="admin-sources-schema-body"),
        ],
        id="admin-sources-schema-modal",
        size="lg",
        scrollable=True,
        is_open=False,
    )
