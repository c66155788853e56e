"""The one error hierarchy of the domain, mapped to HTTP in one place per interface.

Services and selectors raise these; the console middleware and the API's exception handlers
turn them into 404 / 403 / 409 / 400 answers. ``NotFound`` deliberately carries no detail
about *why*: missing and not-visible must look the same to the caller.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class DomainError(Exception):
    """Base of every expected, user-facing failure."""

    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotFound(DomainError):
    """The record does not exist, or the actor may not know that it exists."""

    default_message = "Not found."


class Forbidden(DomainError):
    """The actor can see the scope but lacks the capability for this action."""

    default_message = "You do not have permission to do this."


class Conflict(DomainError):
    """The action clashes with the current state (a duplicate, a busy scope, a last owner)."""

    default_message = "This conflicts with the current state."


class ValidationFailed(DomainError):
    """Input was refused; ``field`` names the offending field (``None`` for the whole form)."""

    default_message = "The input is not valid."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @classmethod
    def from_django(cls, exc: object) -> ValidationFailed:
        """Build from a Django ``ValidationError``, keeping the first field and message."""
        assert isinstance(exc, ValidationError)
        if hasattr(exc, "error_dict"):
            field, errors = next(iter(exc.error_dict.items()))
            message = errors[0].messages[0] if errors else None
            return cls(message, field=None if field == "__all__" else field)
        return cls(exc.messages[0] if exc.messages else None)
