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


class UserNotFound(NotFound):
    kind = "user"


class ScheduleNotFound(NotFound):
    kind = "schedule"


class BackfillNotFound(NotFound):
    kind = "backfill"


class PreviewNotFound(NotFound):
    kind = "preview"


class JobNotFound(NotFound):
    kind = "job"


class DashboardNotFound(NotFound):
    kind = "dashboard"


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


class ResultUnavailable(Conflict):
    """A run has no result to read: it has not completed, or its file has expired."""


class UserExists(Conflict):
    """An account with this e-mail address exists already."""


class LastAdmin(Conflict):
    """The change would leave no active admin who can sign in."""


class SetupDone(Conflict):
    """A user exists already: the first-run setup is closed for good."""

    def __init__(self) -> None:
        super().__init__("Setup is done: an admin exists already. Sign in instead.")


class SecretError(DomainError):
    """A stored secret cannot be read with this SECRET_KEY."""


class MetadataUnavailable(DomainError):
    """The instance could not answer a metadata query (down, slow, or a broken query)."""


class SchemaUnavailable(DomainError):
    """The source could not be asked for its tables (down, slow, or no access)."""


class InvalidResultLocation(ValueError):
    """A result location is malformed or would point outside the results store.

    Not a DomainError: locations come from our own rows, so this is a fault, not user input.
    """


class EngineError(Exception):
    """The engine refused or failed the query; the message is the engine's, made readable.

    Not a DomainError: each caller says what an engine's failure means (a failed run, a
    preview's error, an unavailable schema).
    """


class QueryTimeout(EngineError):
    """The query ran past the instance's statement timeout and was stopped."""


class QueryCancelled(EngineError):
    """Someone cancelled the query while it ran."""
