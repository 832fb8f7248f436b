"""Callbacks declared beside their module's functions and registered by the page that
shows them, for every app that is built.

Dash runs a page module again for each app it builds (tests build many), but a module
the page imports runs once; a plain `@callback` there would reach only the first app.
A `CallbackSet` keeps the declarations, and the page calls `register()` at import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash import callback, clientside_callback

F = Callable[..., Any]


class CallbackSet:
    """Callback declarations kept until `register()`; the functions stay plain functions
    (tests call them directly)."""

    def __init__(self) -> None:
        self._server: list[tuple[tuple[Any, ...], dict[str, Any], F]] = []
        self._client: list[tuple[str, tuple[Any, ...]]] = []
        self._hooks: list[Callable[[], None]] = []

    def callback(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        def keep(function: F) -> F:
            self._server.append((args, kwargs, function))
            return function

        return keep

    def clientside(self, script: str, *dependencies: Any) -> None:
        self._client.append((script, dependencies))

    def also(self, hook: Callable[[], None]) -> None:
        """Another registration to run with these (e.g. a shared form's callbacks)."""
        self._hooks.append(hook)

    def register(self) -> None:
        for args, kwargs, function in self._server:
            callback(*args, **kwargs)(function)
        for script, dependencies in self._client:
            clientside_callback(script, *dependencies)
        for hook in self._hooks:
            hook()
