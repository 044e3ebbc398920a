"""Owners' oversight: who used their source, and evidence for sampled queries — the owner of a
source a query read asks the querying agency for the case behind it, and the querier or their
manager answers. Both are review records in the audit log beside the query
(``audit.governance.record_review``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.governance.context import ADMIN, MANAGER, OWNER, GovernanceContext, has
from api.governance.errors import GovernanceError, GovernanceForbidden, NotFound
from api.governance.views import EvidenceAnswer, EvidenceRequest, SourceUsage
from audit import Reviewer, ReviewError, record_review
from audit.usage import open_evidence_requests, usage_by_source
from policies import Principal


def request(ctx: GovernanceContext, actor: str, query_id: str, what: str) -> EvidenceRequest:
    """Ask the querying agency for evidence (``what``: the document or case wanted)."""
    principal = ctx.actor(actor)
    query = _query(ctx, query_id)
    owners = sorted({ctx.owner_of(s) for s in _sources(query) if _known(ctx, s)})
    if not (has(principal, OWNER) and principal.agency in owners):
        who = ", ".join(owners) or "no agency: the query read no source"
        raise GovernanceForbidden(
            f"evidence for this query is requested by a data_owner of the owning agency ({who})"
        )
    _review(ctx, principal, query_id, "evidence_requested", what)
    pending = open_evidence_requests(ctx.log(), query.get("agency") or "")
    return EvidenceRequest.of(next(r for r in pending if r.query_id == query_id))


def answer(ctx: GovernanceContext, actor: str, query_id: str, evidence: str) -> EvidenceAnswer:
    """Record the evidence: the person who ran the query or their agency's manager."""
    principal = ctx.actor(actor)
    query = _query(ctx, query_id)
    agency = query.get("agency")
    if not (
        principal.name == query.get("user")
        or (has(principal, MANAGER) and principal.agency == agency)
    ):
        raise GovernanceForbidden(
            f"evidence is answered by the person who ran the query or an agency_manager of {agency}"
        )
    _review(ctx, principal, query_id, "evidence_received", evidence)
    return EvidenceAnswer(query_id, principal.name, ctx.now(), evidence)


def open_requests(ctx: GovernanceContext, agency: str) -> list[EvidenceRequest]:
    """Requests made of ``agency`` not answered yet, oldest first."""
    return [EvidenceRequest.of(r) for r in open_evidence_requests(ctx.log(), agency)]


def source_usage(
    ctx: GovernanceContext, actor: str, source: str, start: dt.datetime, end: dt.datetime
) -> list[SourceUsage]:
    """Per (agency, user): queries that read ``source`` with start ≤ time < end; for the
    source's data owners and platform admins."""
    principal = ctx.actor(actor)
    owner = ctx.owner_of(source)
    if not (has(principal, ADMIN) or (has(principal, OWNER) and principal.agency == owner)):
        raise GovernanceForbidden(f"usage of {source} is seen by a data_owner of {owner}")
    return [SourceUsage.of(u) for u in usage_by_source(ctx.log(), source, start, end)]


def _query(ctx: GovernanceContext, query_id: str) -> dict[str, Any]:
    query = ctx.log().find_query(query_id) if isinstance(query_id, str) else None
    if query is None:
        raise NotFound(f"there is no query {query_id!r} in the audit log")
    return query


def _sources(query: dict[str, Any]) -> set[str]:
    named = {s.get("source") for s in query.get("source_sql") or []}
    named |= {str(t.get("table", "")).split(".", 1)[0] for t in query.get("tables") or []}
    return {s for s in named if s}


def _known(ctx: GovernanceContext, source: str) -> bool:
    return source in ctx.fed.loaded.config.sources


def _review(
    ctx: GovernanceContext, principal: Principal, query_id: str, step: str, text: str
) -> None:
    if not isinstance(text, str) or not text.strip():
        raise GovernanceError("evidence: describe the document or case (e.g. its number)")
    reviewer = Reviewer(principal.name, principal.agency, principal.roles)
    try:
        record_review(ctx.log(), query_id, reviewer, step, evidence=text.strip())
    except ReviewError as exc:
        raise GovernanceError(str(exc)) from None
