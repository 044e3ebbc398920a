"""Errors the audit package raises."""

from __future__ import annotations


class AuditError(RuntimeError):
    """The log could not record an entry, or found itself inconsistent while writing."""


class ReviewError(ValueError):
    """A review record that breaks the review rules (e.g. the querier reviewing themself)."""
