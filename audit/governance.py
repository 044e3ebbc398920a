"""Governance actions and review records: entries in the same log as the queries.

Grants, revocations, approvals, suspensions and password changes are ``type: "governance"``
events. A review of a sampled query is a sequence of ``type: "review"`` events — a finding,
evidence requested, evidence received, the agency head's sign-off — each naming the query, so
``AuditLog.events_for(query_id)`` returns the query with its whole review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from audit.errors import ReviewError
from audit.log import AuditLog, now_utc
from audit.sink import AuditSink

GOVERNANCE_ACTIONS = (
    "grant",
    "revoke",
    "approve",
    "reject",
    "suspend",
    "reactivate",
    "password_change",
    "review_decision",
    # The governance workflow (api/governance): applications, delegation, access reviews,
    # account lifecycle (evidence for sampled queries is a review step, below).
    "apply",
    "delegate",
    "review_start",
    "review_close",
    "account_create",
    "account_disable",
    "departure_set",
    "offboard",
)
REVIEW_STEPS = ("finding", "evidence_requested", "evidence_received", "sign_off")
VERDICTS = ("justified", "unjustified", "needs_evidence")
# Who may review: an agency's auditor or head, or the owner of the data (DESIGN.md §6 roles).
REVIEWER_ROLES = frozenset({"auditor", "agency_manager", "data_owner"})
AGENCY_HEAD_ROLE = "agency_manager"


def governance_event(
    action: str,
    actor: str,
    agency: str | None,
    target: Mapping[str, Any],
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The audit event for one governance action; ``target`` names what it acted on
    (e.g. ``{"grant": "g-17", "user": "clerk_daan"}``)."""
    if action not in GOVERNANCE_ACTIONS:
        raise ValueError(f"unknown governance action {action!r}; use {GOVERNANCE_ACTIONS}")
    return {
        "type": "governance",
        "time": now_utc(),
        "action": action,
        "actor": actor,
        "agency": agency,
        "target": dict(target),
        "details": dict(details or {}),
    }


def record_governance(
    sink: AuditSink,
    action: str,
    actor: str,
    agency: str | None,
    target: Mapping[str, Any],
    details: Mapping[str, Any] | None = None,
) -> int:
    """Append a governance action to ``sink`` and return its sequence number."""
    return sink.append(governance_event(action, actor, agency, target, details))


@dataclass(frozen=True)
class Reviewer:
    """The person recording a review step, as the configuration knows them."""

    name: str
    agency: str
    roles: Sequence[str]


def record_review(
    log: AuditLog,
    query_id: str,
    reviewer: Reviewer,
    step: str,
    *,
    finding: str | None = None,
    verdict: str | None = None,
    evidence: str | None = None,
    note: str | None = None,
) -> int:
    """Append one review step for the query ``query_id``; raise ReviewError when the rules
    forbid it: nobody reviews their own query, reviewers hold an auditing role, only the head
    of the querying agency signs off, and only after a finding. Evidence that was requested
    may also be recorded as received by the querier or the head of the querying agency."""
    if step not in REVIEW_STEPS:
        raise ReviewError(f"unknown review step {step!r}; use {', '.join(REVIEW_STEPS)}")
    query = log.find_query(query_id)
    if query is None:
        raise ReviewError(f"no query {query_id} in the audit log")
    querier, agency = query.get("user"), query.get("agency")
    earlier = [e for e in log.events_for(query_id) if e.get("type") == "review"]
    # The querying agency answers a request for evidence: the querier or their agency's head.
    answering = step == "evidence_received" and (
        reviewer.name == querier
        or (reviewer.agency == agency and AGENCY_HEAD_ROLE in reviewer.roles)
    )
    if answering and not any(e.get("step") == "evidence_requested" for e in earlier):
        raise ReviewError("no evidence was requested for this query; nothing to answer")
    if not answering and reviewer.name == querier:
        raise ReviewError("the person who ran a query cannot review it")
    if not answering and not REVIEWER_ROLES & set(reviewer.roles):
        raise ReviewError(
            f"{reviewer.name} may not review queries: needs one of {sorted(REVIEWER_ROLES)}"
        )
    if step == "finding":
        if not finding or verdict not in VERDICTS:
            raise ReviewError(f"a finding needs its text and a verdict ({', '.join(VERDICTS)})")
    elif step in ("evidence_requested", "evidence_received"):
        if not evidence:
            raise ReviewError(f"{step.replace('_', ' ')} needs a description of the evidence")
    else:
        if AGENCY_HEAD_ROLE not in reviewer.roles or reviewer.agency != agency:
            raise ReviewError(f"only the head of {agency} (an agency_manager) may sign off")
        if not any(e.get("step") == "finding" for e in earlier):
            raise ReviewError("sign-off needs a finding first")
    return log.append(
        {
            "type": "review",
            "time": now_utc(),
            "step": step,
            "query_id": query_id,
            "query_seq": query["seq"],
            "querier": querier,
            "agency": agency,
            "reviewer": reviewer.name,
            "reviewer_agency": reviewer.agency,
            "finding": finding,
            "verdict": verdict,
            "evidence": evidence,
            "note": note,
        }
    )
