"""What the audit log says about use, for governance: when each grant was last used by each
user, who queried a source and how often, and which evidence requests are still open.

Read in SQL over ``audit.sqlite`` (``json_each``/``json_extract``), so a log of millions of
events is folded by SQLite rather than loaded into Python.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from audit.log import AuditLog, utc_time

_LAST_USE = """
SELECT json_extract(e.event, '$.user') AS user, g.value AS grant_id, max(e.time) AS last
FROM audit_events AS e,
     json_each(e.event, '$.tables') AS t,
     json_each(t.value, '$.grants') AS g
WHERE e.type = 'query' AND json_extract(e.event, '$.outcome') = 'ok'
GROUP BY 1, 2
"""

_BY_SOURCE = """
SELECT coalesce(json_extract(e.event, '$.agency'), '') AS agency,
       json_extract(e.event, '$.user') AS user,
       count(*) AS queries,
       sum(json_extract(e.event, '$.outcome') = 'ok') AS ok,
       max(e.time) AS last
FROM audit_events AS e
WHERE e.type = 'query' AND e.time >= ? AND e.time < ?
  AND EXISTS (SELECT 1 FROM json_each(e.event, '$.source_sql') AS s
              WHERE json_extract(s.value, '$.source') = ?)
GROUP BY 1, 2
ORDER BY 1, 2
"""

_EVIDENCE = """
SELECT e.seq, e.event
FROM audit_events AS e
WHERE e.type = 'review' AND json_extract(e.event, '$.agency') = ?
  AND json_extract(e.event, '$.step') IN ('evidence_requested', 'evidence_received')
ORDER BY e.seq
"""


@dataclass(frozen=True)
class SourceUse:
    """One (agency, user)'s queries that read a source in a period."""

    agency: str
    user: str
    queries: int
    ok: int
    last: dt.datetime


@dataclass(frozen=True)
class OpenEvidenceRequest:
    """Evidence requested for a query that its agency has not answered yet."""

    seq: int
    query_id: str
    querier: str
    agency: str
    requested_by: str
    requested_at: dt.datetime
    what: str


def last_use(log: AuditLog) -> dict[tuple[str, str], dt.datetime]:
    """{(user, grant id): time of the user's latest successful query that used the grant}.

    A delegated grant is recorded with its parent (its lineage), so both ids get the time.
    """
    conn = log.reader()
    try:
        rows = conn.execute(_LAST_USE).fetchall()
    finally:
        conn.close()
    return {(user, grant): _time(last) for user, grant, last in rows if user and grant}


def usage_by_source(
    log: AuditLog, source: str, start: dt.datetime, end: dt.datetime
) -> list[SourceUse]:
    """Per (agency, user): queries with start ≤ time < end whose plan read ``source``.

    Refused queries have no plan and so no source; they are not counted here.
    """
    conn = log.reader()
    try:
        rows = conn.execute(
            _BY_SOURCE, (utc_time(start.isoformat()), utc_time(end.isoformat()), source)
        ).fetchall()
    finally:
        conn.close()
    return [
        SourceUse(agency, user, int(queries), int(ok or 0), _time(last))
        for agency, user, queries, ok, last in rows
    ]


def open_evidence_requests(log: AuditLog, agency: str) -> list[OpenEvidenceRequest]:
    """Evidence requested of ``agency`` with no evidence received after it, oldest first."""
    conn = log.reader()
    try:
        rows = conn.execute(_EVIDENCE, (agency,)).fetchall()
    finally:
        conn.close()
    open_by_query: dict[str, OpenEvidenceRequest] = {}
    for seq, text in rows:
        event = json.loads(text)
        query_id = event["query_id"]
        if event["step"] == "evidence_received":
            open_by_query.pop(query_id, None)
            continue
        open_by_query[query_id] = OpenEvidenceRequest(
            seq=seq,
            query_id=query_id,
            querier=event.get("querier") or "",
            agency=agency,
            requested_by=event["reviewer"],
            requested_at=_time(event["time"]),
            what=event.get("evidence") or "",
        )
    return sorted(open_by_query.values(), key=lambda r: r.seq)


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)
