"""Domain errors. Routers turn them into a readable page message or {"detail": …}."""

from __future__ import annotations


class DomainError(Exception):
    """Base: carries a message a person can read and the HTTP status it maps to."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Invalid(DomainError):
    status_code = 422


class Forbidden(DomainError):
    status_code = 403


class TooManyAttempts(DomainError):
    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Gone(DomainError):
    """Something that existed and no longer works: a used or expired one-time link."""

    status_code = 410
