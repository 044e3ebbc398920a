"""Errors the federation raises to its callers.

Each carries a stable ``code`` and a message written for the person who sent the query. Messages
never contain data values or names the user may not see (DESIGN.md invariant 5).
"""

from __future__ import annotations


class FederationError(Exception):
    """Base of every error a caller of the federation can see."""

    code = "internal_error"

    def __init__(self, message: str, query_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.query_id = query_id

    def with_query_id(self, query_id: str) -> FederationError:
        """Return this error tagged with the query it belongs to."""
        self.query_id = query_id
        return self

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "query_id": self.query_id}


class InvalidQuery(FederationError):
    """The SQL is not a query civicfed will run (syntax, statement kind, unknown table, …)."""

    code = "invalid_query"


class AccessDenied(FederationError):
    """The query uses a table, column or purpose beyond the user's grants."""

    code = "access_denied"


class PurposeRequired(FederationError):
    """The purpose envelope (case, purpose code, document/case number) is missing or invalid."""

    code = "purpose_required"


class SourceUnavailable(FederationError):
    """A source failed or timed out; no partial result is returned."""

    code = "source_unavailable"


class InternalError(FederationError):
    """Something failed that is not the query's fault; details go to the audit log only."""

    code = "internal_error"


class ConfigError(Exception):
    """The configuration file is wrong; the message names the file, the key and the fix."""
