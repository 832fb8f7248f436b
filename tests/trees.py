"""Reading Dash component trees in tests: the text a user would see, the ids present."""

from __future__ import annotations

from typing import Any


def text_of(component: Any) -> str:
    """All the text in a component tree, for asserting on what a page says."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(child) for child in component)
    children = getattr(component, "children", None)
    return text_of(children)


def find_ids(component: Any) -> list[Any]:
    """Every component id in a tree."""
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, list | tuple):
            for child in node:
                walk(child)
            return
        if not hasattr(node, "to_plotly_json"):
            return
        if getattr(node, "id", None) is not None:
            found.append(node.id)
        walk(getattr(node, "children", None))

    walk(component)
    return found
