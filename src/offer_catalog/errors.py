"""Domain errors with stable string codes; each dialect maps them to HTTP once."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every expected business failure; `code` is stable and machine-readable."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details or {}


class NotFound(DomainError):
    """The addressed document (or version) does not exist."""

    code = "not_found"


class AlreadyExists(DomainError):
    """A create named an id that is already taken."""

    code = "already_exists"


class VersionConflict(DomainError):
    """The expected version is not the stored one: someone else wrote first."""

    code = "version_conflict"


class ValidationFailed(DomainError):
    """The document breaks a rule of its kind (required member, type, enum, date order...)."""

    code = "validation_failed"


class InvalidQuery(DomainError):
    """A list query is malformed: unknown operator, bad value, bad cursor."""

    code = "invalid_query"


class ReferenceViolation(DomainError):
    """A reference to another document is dangling, or a delete would leave others dangling."""

    code = "reference_integrity"


class LifecycleViolation(DomainError):
    """A status change the lifecycle state machine does not allow."""

    code = "lifecycle_violation"


class SettingsError(DomainError):
    """A configuration value is invalid."""

    code = "invalid_settings"


class StoreUnavailable(DomainError):
    """The database cannot be reached."""

    code = "store_unavailable"


class QueryTimeout(DomainError):
    """A query ran past the store's time budget and was stopped; a narrower query may succeed."""

    code = "query_timeout"
