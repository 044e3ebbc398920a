"""Review records: kept in the log beside the query they review, under the review rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit import AuditLog, Reviewer, ReviewError, record_review, verify_log
from tests.audit.activity import Activity, at

AUDITOR = Reviewer("auditor_ethics", "ETHICS", ("auditor",))
HEAD = Reviewer("manager_daan", "DAAN", ("agency_manager",))
OTHER_HEAD = Reviewer("manager_xinyi", "XINYI", ("agency_manager",))
CLERK = Reviewer("clerk_a", "DAAN", ("user",))


@pytest.fixture()
def log(tmp_path: Path) -> Iterator[AuditLog]:
    with AuditLog(tmp_path) as log:
        Activity(log).query(at(dt.date(2026, 11, 10), 10), user="clerk_a", agency="DAAN")
        yield log


def test_a_full_review_is_kept_with_its_query(log: AuditLog) -> None:
    q = "q000001"
    record_review(log, q, AUDITOR, "finding", finding="無案件公文", verdict="needs_evidence")
    record_review(log, q, AUDITOR, "evidence_requested", evidence="請提供申請書影本")
    record_review(log, q, AUDITOR, "evidence_received", evidence="北市社助字第1133012345號")
    record_review(log, q, HEAD, "sign_off", note="已核閱")
    trail = log.events_for(q)
    assert [e["type"] for e in trail] == ["query", "review", "review", "review", "review"]
    assert [e.get("step") for e in trail[1:]] == [
        "finding",
        "evidence_requested",
        "evidence_received",
        "sign_off",
    ]
    assert all(e["querier"] == "clerk_a" and e["query_seq"] == 1 for e in trail[1:])
    log.checkpoint()
    assert verify_log(log.data_dir).ok


@pytest.mark.parametrize(
    ("who", "step", "fields", "says"),
    [
        (CLERK, "finding", {"finding": "ok", "verdict": "justified"}, "who ran a query"),
        (
            Reviewer("clerk_b", "XINYI", ("user",)),
            "finding",
            {"finding": "ok", "verdict": "justified"},
            "may not review",
        ),
        (AUDITOR, "finding", {"finding": "ok"}, "verdict"),
        (AUDITOR, "evidence_requested", {}, "evidence"),
        (AUDITOR, "sign_off", {}, "head of DAAN"),
        (OTHER_HEAD, "sign_off", {}, "head of DAAN"),
        (HEAD, "sign_off", {}, "finding first"),
        (AUDITOR, "approve", {}, "unknown review step"),
    ],
)
def test_the_review_rules_are_enforced(
    log: AuditLog, who: Reviewer, step: str, fields: dict[str, str], says: str
) -> None:
    with pytest.raises(ReviewError, match=says):
        record_review(log, "q000001", who, step, **fields)
    assert log.size() == 1


def test_a_review_needs_a_query_that_exists(log: AuditLog) -> None:
    with pytest.raises(ReviewError, match="no query"):
        record_review(log, "nope", AUDITOR, "finding", finding="x", verdict="justified")
