"""The audit log: one event per query and per governance action."""

from audit.sink import AuditSink, MemorySink

__all__ = ["AuditSink", "MemorySink"]
