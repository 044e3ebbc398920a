"""Sources as Arrow streams: one adapter per source kind behind the SourceAdapter protocol."""

from adapters.base import (
    FilterVerdict,
    Pushdown,
    ScanColumn,
    ScanRequest,
    SourceAdapter,
    SourceError,
    SourceSettings,
)
from adapters.registry import KINDS, open_source

__all__ = [
    "KINDS",
    "FilterVerdict",
    "Pushdown",
    "ScanColumn",
    "ScanRequest",
    "SourceAdapter",
    "SourceError",
    "SourceSettings",
    "open_source",
]
