"""Domain errors raised by services; the UI and the API each map them to messages in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose; its message is safe to show a user."""


class NotFound(DomainError):
    """Something does not exist, or the caller may not see it (the two are never told apart)."""

    kind = "object"

    def __init__(self, identifier: str) -> None:
        super().__init__(f"{self.kind.capitalize()} {identifier!r} was not found.")
        self.identifier = identifier


class TemplateNotFound(NotFound):
    kind = "template"


class InstanceNotFound(NotFound):
    kind = "instance"


class ReportNotFound(NotFound):
    kind = "report"


class ExecutionNotFound(NotFound):
    kind = "execution"


class PermissionDenied(DomainError):
    """The caller may see the object but not do this to it (e.g. a viewer asking to run)."""


class ParameterError(DomainError):
    """A value the user entered is invalid; `field` names the form field to show it next to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class TemplateDefinitionError(DomainError):
    """A template file is not usable: bad parameter list, unknown placeholder, not read-only."""


class ValidationFailed(DomainError):
    """Several fields are invalid at once: `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class Conflict(DomainError):
    """The request clashes with the current state (a second active schedule, a backfill
    in progress, cancelling what has already ended)."""


class DashboardNotFound(NotFound):
    kind = "dashboard"
