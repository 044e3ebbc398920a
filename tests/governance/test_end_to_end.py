"""The whole procedure on the real demo: apply, approve narrower, create a user, delegate, query,
revoke, review, dormancy, offboarding — and the audit log holds every step, verified."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from api.governance import Governance
from api.governance.calendar_rules import working_days_before
from audit import AuditLog, verify_log
from engine import Federation
from engine.errors import AccessDenied, InvalidQuery
from tests.governance.helpers import PERSONS_REQUEST, WELFARE, FakeClock

NEW = "clerk_daan2"


def _trail(log: AuditLog, first: int) -> list[str]:
    """Governance actions and query outcomes after entry ``first``, in order."""
    conn = log.reader()
    try:
        rows = conn.execute("SELECT event FROM audit_events WHERE seq > ? ORDER BY seq", (first,))
        events = [json.loads(text) for (text,) in rows]
    finally:
        conn.close()
    return [
        e["action"] if e["type"] == "governance" else f"{e['type']}:{e.get('outcome')}"
        for e in events
    ]


def test_an_application_travels_from_request_to_offboarding(
    fed: Federation, gov: Governance, clock: FakeClock, facts: dict[str, Any], demo: Path
) -> None:
    assert isinstance(fed.audit, AuditLog)
    start = fed.audit.size()
    subject = facts["lookup_person"]["national_id"]
    lookup = f"SELECT national_id, district FROM household.persons WHERE national_id = '{subject}'"

    # DAAN's manager applies; CRA's owner approves without the name column.
    application = gov.apply("manager_daan", **PERSONS_REQUEST)
    assert (application.status, application.agency, application.source) == (
        "pending",
        "DAAN",
        "household",
    )
    narrowed = {"columns": {"national_id": "read", "district": "read"}}
    approved = gov.approve("owner_cra", application.id, narrowed, note="姓名非必要，不予提供")
    assert approved.status == "approved" and approved.grant_id is not None
    assert approved.approved_spec is not None
    assert approved.approved_spec["columns"] == narrowed["columns"]
    assert approved.approved_spec["agency"] == "DAAN"
    agency_grant = approved.grant_id

    # The admin creates a DAAN clerk; the manager hands the clerk the grant.
    gov.create_account("admin", NEW, "DAAN", ["user"], district="大安區")
    child = gov.delegate("manager_daan", agency_grant, NEW)
    assert child.parent == agency_grant and child.user == NEW

    assert fed.query(lookup, user=NEW, purpose=WELFARE).to_pylist() == [
        {"national_id": subject, "district": "大安區"}
    ]
    with pytest.raises(AccessDenied, match="name"):
        fed.query(
            f"SELECT name FROM household.persons WHERE national_id = '{subject}'",
            user=NEW,
            purpose=WELFARE,
        )

    # The owner revokes the agency grant: the clerk's child goes with it.
    assert set(gov.revoke("owner_cra", agency_grant, "案件結案")) == {agency_grant, child.id}
    with pytest.raises(InvalidQuery, match="does not exist or is not granted"):
        fed.query(lookup, user=NEW, purpose=WELFARE)

    # A second right, used once, for the review and for dormancy.
    welfare = gov.apply(
        "manager_daan",
        table="welfare.recipients",
        columns={"national_id": "read", "program": "read"},
        require=[{"column": "national_id", "max_values": 10}],
        row_filter="district = '大安區'",
        purposes=["welfare-eligibility"],
        document_ref="北市安社字第1130005678號",
        justification="核對社會救助個案",
    )
    welfare_grant = gov.approve("owner_dsw", welfare.id).grant_id
    assert welfare_grant is not None
    used = gov.delegate("manager_daan", welfare_grant, NEW)
    fed.query(
        f"SELECT program FROM welfare.recipients WHERE national_id = '{subject}'",
        user=NEW,
        purpose=WELFARE,
    )

    # The half-yearly review lists each DAAN user's rights with their last use.
    campaign = gov.start_review("manager_daan", "DAAN")
    by_grant = {i.grant_id: i for i in campaign.items}
    assert by_grant[used.id].user == NEW and by_grant[used.id].revocable
    assert by_grant[used.id].last_used_at is not None
    clerk_items = [i for i in campaign.items if i.user == "clerk_daan"]
    assert clerk_items and not any(i.revocable for i in clerk_items)  # civicfed.toml grants
    assert all(i.last_used_at is None for i in clerk_items)
    for item in campaign.items:
        gov.decide_review("manager_daan", campaign.id, item.id, "keep", "業務仍需要")
    assert not gov.campaign(campaign.id).open

    # Six months without use: the right lapses.
    clock.advance(181)
    dormant = gov.suspend_dormant()
    assert [(a.user, a.grants) for a in dormant] == [(NEW, (used.id,))]
    assert dormant[0].reason.startswith(f"unused since {dt.datetime.now(dt.UTC).date()}")

    # The clerk leaves: the account is suspended 10 working days before.
    departure = clock.day + dt.timedelta(days=40)
    gov.set_departure("manager_daan", NEW, departure)
    clock.day = working_days_before(departure, 10) - dt.timedelta(days=1)
    assert gov.offboard_due() == []
    clock.day = working_days_before(departure, 10)
    [offboarded] = gov.offboard_due()
    assert offboarded.user == NEW
    account = fed.accounts.get(NEW)
    assert account is not None and account.status == "suspended"
    assert account.status_reason == f"offboarding: leaves on {departure.isoformat()}"
    assert gov.offboard_due() == []  # idempotent

    fed.audit.checkpoint()
    assert verify_log(demo / "var").ok
    assert _trail(fed.audit, start) == [
        "apply",
        "approve",
        "account_create",
        "delegate",
        "query:ok",
        "query:denied",
        "revoke",
        "query:invalid",
        "apply",
        "approve",
        "delegate",
        "query:ok",
        "review_start",
        *["review_decision"] * len(campaign.items),
        "review_close",
        "suspend",
        "departure_set",
        "offboard",
    ]
