"""Admin → Users building blocks: the users table, the "Add user" form and the edit dialog.
Ids start with "admin-users-"; the page (pages/admin_users.py) holds the callbacks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.format import format_datetime
from components.navbar import create_icon
from components.user_admin_fields import create_field, create_password_rules
from services.instances import InstanceInfo
from services.user_admin import ROLE_NAMES, UserSummary

#: "Add user" form: field → input id (instance_ids is a dropdown with its own error line).
ADD_FIELDS = {
    "name": "admin-users-add-name",
    "email": "admin-users-add-email",
    "password": "admin-users-add-password",
}
ADD_SOURCES = "admin-users-add-sources"
ADD_ROLE = "admin-users-add-role"
ADD_MODE = "admin-users-add-mode"
#: Edit dialog: field → input id.
EDIT_FIELDS = {"name": "admin-users-edit-name"}
EDIT_ROLE = "admin-users-edit-role"
EDIT_SOURCES = "admin-users-edit-sources"
EDIT_ACTIVE = "admin-users-edit-active"
#: What each role may do, shown beside the role pickers.
ROLE_HELP = (
    "Admins manage everything and use every source; analysts run and change their own "
    "reports on granted sources; viewers read reports on granted sources."
)


def edit_button_id(user_id: str) -> dict[str, str]:
    return {"type": "admin-users-edit", "index": user_id}


def source_options(instances: Sequence[InstanceInfo]) -> list[dict[str, str]]:
    return [{"label": f"{i.name} ({i.instance_id})", "value": i.instance_id} for i in instances]


def _role_options() -> list[dict[str, str]]:
    return [{"label": role.capitalize(), "value": role} for role in ROLE_NAMES]


def _badge(text: str, color: str, text_color: str | None = None) -> dbc.Badge:
    border = " border" if color == "light" else ""
    return dbc.Badge(text, color=color, text_color=text_color, class_name=f"fw-normal{border}")


def _sources_text(user: UserSummary) -> str:
    if user.role == "admin":
        return "All (admin)"
    return ", ".join(user.instance_ids) or "None"


def _password_badge(user: UserSummary) -> dbc.Badge:
    if user.has_password:
        return _badge("Set", "success")
    if user.link_pending and user.link_expired:
        return _badge("Link expired", "warning", "dark")
    if user.link_pending:
        expires = format_datetime(user.link_expires_at) if user.link_expires_at else "never"
        return _badge(f"Link pending (expires {expires})", "info", "dark")
    return _badge("Not set", "secondary")


def create_users_table(users: Sequence[UserSummary]) -> Any:
    """One row per user, with an Edit button."""
    if not users:
        return html.P("No users yet.", className="text-body-secondary")
    header = html.Thead(
        html.Tr(
            [
                html.Th(label)
                for label in ("User", "Role", "State", "Sources", "Password", "API token", "")
            ]
        )
    )
    rows = [
        html.Tr(
            [
                html.Td(
                    [
                        html.Div(user.name or user.email, className="fw-semibold"),
                        html.Div(user.email, className="small text-body-secondary"),
                    ]
                ),
                html.Td(
                    _badge(
                        user.role.capitalize(),
                        *(("primary",) if user.role == "admin" else ("light", "dark")),
                    )
                ),
                html.Td(
                    _badge("Active", "success") if user.is_active else _badge("Disabled", "danger")
                ),
                html.Td(_sources_text(user), className="small"),
                html.Td(_password_badge(user)),
                html.Td(_badge("Yes", "secondary") if user.has_token else "—"),
                html.Td(
                    dbc.Button(
                        [create_icon("pencil", class_name="me-1"), "Edit"],
                        id=edit_button_id(user.user_id),
                        color="outline-secondary",
                        size="sm",
                    ),
                    className="text-end",
                ),
            ],
            id=f"admin-users-row-{user.user_id}",
            title=f"Added {format_datetime(user.created_at)}",
        )
        for user in users
    ]
    return dbc.Table(
        [header, html.Tbody(rows)],
        hover=True,
        responsive=True,
        class_name="align-middle mb-0",
        id="admin-users-table",
    )


def create_add_form(instances: Sequence[InstanceInfo]) -> dbc.Collapse:
    """Name, e-mail, role, sources, and a first password or a set-password link."""
    form = dbc.Form(
        [
            dbc.Row(
                [
                    dbc.Col(create_field("Name", ADD_FIELDS["name"], maxLength=200), md=6),
                    dbc.Col(
                        create_field(
                            "E-mail",
                            ADD_FIELDS["email"],
                            type="email",
                            placeholder="ana@example.com",
                        ),
                        md=6,
                    ),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(
                        html.Div(
                            [
                                dbc.Label("Role", html_for=ADD_ROLE, class_name="fw-semibold"),
                                dbc.Select(id=ADD_ROLE, options=_role_options(), value="analyst"),
                                dbc.FormText(ROLE_HELP),
                            ],
                            className="mb-3",
                        ),
                        md=6,
                    ),
                    dbc.Col(create_sources_picker(ADD_SOURCES, instances, []), md=6),
                ]
            ),
            dbc.Label("Password", class_name="fw-semibold"),
            dbc.RadioItems(
                id=ADD_MODE,
                options=[
                    {"label": "Create a one-time set-password link to send them", "value": "link"},
                    {"label": "Give a first password now", "value": "password"},
                ],
                value="link",
                class_name="mb-2",
            ),
            html.Div(
                [
                    create_field(
                        "First password",
                        ADD_FIELDS["password"],
                        type="password",
                        autocomplete="new-password",
                    ),
                    create_password_rules("admin-users-add-rules"),
                ],
                id="admin-users-add-password-box",
                className="d-none",
            ),
            html.Div(id="admin-users-add-error"),
            html.Div(
                [
                    dbc.Button("Add user", id="admin-users-add-submit", color="primary"),
                    dbc.Button(
                        "Cancel", id="admin-users-add-cancel", color="link", class_name="ms-2"
                    ),
                ]
            ),
        ],
        id="admin-users-add-form",
    )
    return dbc.Collapse(
        dbc.Card(
            [dbc.CardHeader("Add a user", class_name="fw-semibold"), dbc.CardBody(form)],
            class_name="mb-3 shadow-sm",
        ),
        id="admin-users-add-collapse",
        is_open=False,
    )


def create_sources_picker(
    picker_id: str, instances: Sequence[InstanceInfo], value: Sequence[str]
) -> html.Div:
    return html.Div(
        [
            dbc.Label("Data sources", html_for=picker_id, class_name="fw-semibold"),
            dcc.Dropdown(
                id=picker_id,
                options=source_options(instances),  # type: ignore[arg-type]
                value=list(value),
                multi=True,
                placeholder="None: pick the sources they may use",
            ),
            html.Div(id=f"{picker_id}-error", className="invalid-feedback d-block"),
            dbc.FormText("Admins use every source whatever is picked here."),
        ],
        className="mb-3",
    )


def create_edit_modal(instances: Sequence[InstanceInfo]) -> dbc.Modal:
    """Change a user's name, role, sources and state; reset the password; revoke the token."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Edit user", id="admin-users-edit-title")),
            dbc.ModalBody(
                [
                    dcc.Store(id="admin-users-editing"),
                    create_field("Name", EDIT_FIELDS["name"], maxLength=200),
                    html.Div(
                        [
                            dbc.Label("Role", html_for=EDIT_ROLE, class_name="fw-semibold"),
                            dbc.Select(id=EDIT_ROLE, options=_role_options()),
                            html.Div(id=f"{EDIT_ROLE}-error", className="invalid-feedback d-block"),
                        ],
                        className="mb-3",
                    ),
                    create_sources_picker(EDIT_SOURCES, instances, []),
                    dbc.Switch(
                        id=EDIT_ACTIVE,
                        label="Active: may sign in and use the API",
                        class_name="mb-1",
                    ),
                    html.Div(id=f"{EDIT_ACTIVE}-error", className="invalid-feedback d-block"),
                    html.Hr(),
                    html.Div(
                        [
                            dbc.Button(
                                [create_icon("arrow-repeat", class_name="me-1"), "Reset password"],
                                id="admin-users-reset",
                                color="outline-warning",
                                size="sm",
                                class_name="me-2",
                            ),
                            dbc.Button(
                                [create_icon("key", class_name="me-1"), "Revoke API token"],
                                id="admin-users-revoke",
                                color="outline-danger",
                                size="sm",
                            ),
                            dbc.FormText(
                                "Reset: the password stops working now and you get a one-time "
                                "link to send them.",
                                class_name="d-block mt-1",
                            ),
                        ],
                        className="mb-3",
                    ),
                    html.Div(id="admin-users-edit-result"),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button("Close", id="admin-users-edit-close", color="link"),
                    dbc.Button("Save changes", id="admin-users-edit-save", color="primary"),
                ]
            ),
        ],
        id="admin-users-edit-modal",
        is_open=False,
        size="lg",
    )
