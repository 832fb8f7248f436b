"""The tabs across the admin pages: run queues, data sources, users."""

from __future__ import annotations

import dash_bootstrap_components as dbc

from components.navbar import create_icon

#: (label, path, Bootstrap Icons name) of each admin page, in tab order.
ADMIN_PAGES: tuple[tuple[str, str, str], ...] = (
    ("Run queues", "/admin/queues", "stack"),
    ("Data sources", "/admin/sources", "database"),
    ("Users", "/admin/users", "people"),
)


def create_admin_tabs(active_path: str) -> dbc.Nav:
    """Links between the admin pages, the current one marked active."""
    return dbc.Nav(
        [
            dbc.NavItem(
                dbc.NavLink(
                    [create_icon(icon, class_name="me-1"), label],
                    href=path,
                    active=path == active_path,
                    id=f"admin-tab-{path.rsplit('/', 1)[-1]}",
                )
            )
            for label, path, icon in ADMIN_PAGES
        ],
        pills=True,
        class_name="mb-3 admin-tabs",
        id="admin-tabs",
    )
