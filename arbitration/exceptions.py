"""Domain errors. Services raise these; the API maps them to HTTP codes, the UI to messages."""

from __future__ import annotations


class DomainError(Exception):
    """A request the desk's rules refuse. `status` is the HTTP code the API answers with."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # Per-item or per-field reasons ({"[3].external_id": ["..."]}), for the API.
        self.errors = errors or ({field: [message]} if field else {})


class InvalidInput(DomainError):
    status = 400
    code = "invalid"


class NotAllowed(DomainError):
    status = 403
    code = "permission_denied"


class Conflict(DomainError):
    """The request clashes with the current state (a second appeal, a second verdict)."""

    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"
