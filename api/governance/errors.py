"""The three ways a governance step is refused; the HTTP layer maps them to 400, 403 and 404."""

from __future__ import annotations


class GovernanceError(ValueError):
    """Bad input: the message names the problem and the fix."""


class GovernanceForbidden(PermissionError):
    """The actor's role or agency may not take this step: the message says who may."""


class NotFound(LookupError):
    """An application, grant, campaign, review item, account or query that does not exist."""
