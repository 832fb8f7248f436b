"""Which repeated button was clicked: a real click names its button, a redraw names none."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import Any

import dash
from dash import ALL, Input, Output, html
from dash.exceptions import PreventUpdate

from components.clicks import clicked_id, clicked_index
from tests.dash_callbacks import CallbackContext, Change, callback_context, prop_id

CANCEL = "runs-cancel"


def button(index: Any, kind: str = CANCEL) -> dict[str, Any]:
    return {"type": kind, "index": index}


def fired_by(*changes: Change) -> AbstractContextManager[CallbackContext]:
    """Run the block inside a Dash callback fired by these (id, property, new value)."""
    return callback_context(changes)


def test_a_click_names_the_button_that_was_clicked() -> None:
    with fired_by((button("exe_b"), "n_clicks", 1)):
        assert clicked_index(CANCEL) == "exe_b"


def test_a_redrawn_table_names_no_button_even_when_another_has_clicks() -> None:
    # The table redrew and its new buttons arrived without clicks, while the button the
    # user pressed before (now gone) still counts one in `clicks`: nothing is cancelled.
    clicks = [1, None, None]
    with fired_by((button("exe_new"), "n_clicks", None), (button("exe_b"), "n_clicks", None)):
        assert any(clicks)
        assert clicked_index(CANCEL) is None


def test_a_click_merged_with_a_redraw_names_the_clicked_button() -> None:
    with fired_by((button("exe_new"), "n_clicks", None), (button("exe_a"), "n_clicks", 2)):
        assert clicked_index(CANCEL) == "exe_a"


def test_two_counts_changed_at_once_name_no_button() -> None:
    with fired_by((button("exe_a"), "n_clicks", 1), (button("exe_b"), "n_clicks", 1)):
        assert clicked_index(CANCEL) is None


def test_only_n_clicks_of_this_kind_counts() -> None:
    with fired_by((button("exe_a"), "n_clicks_timestamp", 1_700_000_000_000)):
        assert clicked_index(CANCEL) is None
    with fired_by((button("exe_a", kind="report-cancel"), "n_clicks", 1)):
        assert clicked_index(CANCEL) is None
        assert clicked_index("report-cancel") == "exe_a"
    with fired_by(("runs-refresh", "data", 1)):
        assert clicked_index(CANCEL) is None


def test_the_first_call_of_a_callback_names_no_button() -> None:
    with fired_by():
        assert clicked_index(CANCEL) is None


def test_the_whole_id_keeps_its_other_keys_and_types() -> None:
    star = {"type": "dashboards-star", "index": "dsh_1", "starred": True}
    with fired_by((star, "n_clicks", 3)):
        assert clicked_id("dashboards-star") == star
    with fired_by((button(84, kind="rb-lookback-preset"), "n_clicks", 1)):
        assert clicked_id("rb-lookback-preset") == button(84, kind="rb-lookback-preset")
        assert clicked_index("rb-lookback-preset") == "84"
    with fired_by(({"type": "rb-param-quick", "form": "run", "value": 100}, "n_clicks", 1)):
        assert clicked_index("rb-param-quick") is None  # no index: ask clicked_id


def test_a_real_dash_request_acts_on_the_clicked_button_only() -> None:
    """Through Dash's own request handling, as the renderer calls a pattern callback."""
    app = dash.Dash(__name__)
    ids = ["exe_a", "exe_b"]
    app.layout = html.Div([*(html.Button(id=button(i)) for i in ids), html.Div(id="out")])

    @app.callback(Output("out", "children"), Input(button(ALL), "n_clicks"))
    def cancel(clicks: list[int | None]) -> str:
        execution_id = clicked_index(CANCEL)
        if execution_id is None:
            raise PreventUpdate
        return f"cancel {execution_id}"

    def post(values: list[int | None], changed: list[str]) -> Any:
        body = {
            "output": "out.children",
            "outputs": {"id": "out", "property": "children"},
            "inputs": [
                [
                    {"id": button(i), "property": "n_clicks", "value": v}
                    for i, v in zip(ids, values, strict=True)
                ]
            ],
            "changedPropIds": [prop_id(button(i), "n_clicks") for i in changed],
            "state": [],
        }
        return app.server.test_client().post("/_dash-update-component", json=body)

    clicked = post([1, None], ["exe_b", "exe_a"])  # b was redrawn while a was clicked
    assert clicked.status_code == 200
    assert json.loads(clicked.data)["response"]["out"]["children"] == "cancel exe_a"
    redrawn = post([1, None], ["exe_b"])  # a counts a click from before; b is new
    assert redrawn.status_code == 204
