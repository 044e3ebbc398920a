"""The audit log: one event per query and per governance action."""

from audit.errors import AuditError, ReviewError
from audit.governance import Reviewer, governance_event, record_governance, record_review
from audit.log import AuditLog
from audit.sink import AuditSink, MemorySink
from audit.verify import VerifyResult, verify_log

__all__ = [
    "AuditError",
    "AuditLog",
    "AuditSink",
    "MemorySink",
    "ReviewError",
    "Reviewer",
    "VerifyResult",
    "governance_event",
    "record_governance",
    "record_review",
    "verify_log",
]
