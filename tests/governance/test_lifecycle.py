"""Rights that lapse: dormant grants after 180 days unused, leavers 10 working days before they
go. Both sweeps run as "system" and change nothing when run again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from api.governance import Governance, GovernanceError, GovernanceForbidden, NotFound
from api.governance.calendar_rules import working_days_before
from engine import Federation
from tests.governance.helpers import WELFARE, FakeClock, approved_persons_grant, new_clerk


def _two_children(gov: Governance) -> tuple[str, str, str]:
    """(agency grant, clerk_daan2's child, clerk_daan3's child)."""
    parent = approved_persons_grant(gov)
    first = gov.delegate("manager_daan", parent, new_clerk(gov)).id
    second = gov.delegate("manager_daan", parent, new_clerk(gov, "clerk_daan3")).id
    return parent, first, second


def test_grants_unused_for_180_days_are_suspended(
    gov: Governance, fed: Federation, clock: FakeClock, facts: dict[str, Any]
) -> None:
    parent, used, unused = _two_children(gov)
    subject = facts["lookup_person"]["national_id"]
    sql = f"SELECT national_id FROM household.persons WHERE national_id = '{subject}'"
    fed.query(sql, user="clerk_daan2", purpose=WELFARE)

    assert gov.suspend_dormant() == []  # new grants are not dormant, used or not
    clock.advance(179)
    assert gov.suspend_dormant() == []
    clock.advance(2)
    created = dt.datetime.now(dt.UTC).date().isoformat()
    actions = {a.grants[0]: a for a in gov.suspend_dormant()}
    assert set(actions) == {used, unused}  # the one use was 181 days ago
    assert actions[unused].reason == f"unused since {created}, when it was granted"
    assert actions[used].reason.startswith(f"unused since {created} (no query in 180 days)")
    assert {g.id for g in gov.grants("admin")} == {parent}  # agency grants are the owner's
    assert gov.suspend_dormant() == []


def test_a_grant_used_within_180_days_stays(
    gov: Governance, fed: Federation, clock: FakeClock
) -> None:
    parent, used, unused = _two_children(gov)
    clock.advance(200)
    # A query 100 days from now, as the log would hold it then; a refused one does not count.
    when = dt.datetime.now(dt.UTC) + dt.timedelta(days=100)
    for user, grant, outcome in (("clerk_daan2", used, "ok"), ("clerk_daan3", unused, "denied")):
        fed.audit.append(
            {
                "type": "query",
                "time": when.isoformat(),
                "query_id": f"q-{user}",
                "user": user,
                "agency": "DAAN",
                "outcome": outcome,
                "tables": [
                    {"table": "household.persons", "columns": [], "grants": [grant, parent]}
                ],
            }
        )
    assert [a.grants for a in gov.suspend_dormant()] == [(unused,)]
    assert used in {g.id for g in gov.grants("admin")}


def test_the_manager_sets_a_future_departure(gov: Governance, clock: FakeClock) -> None:
    clerk = new_clerk(gov)
    departure = clock.day + dt.timedelta(days=30)
    account = gov.set_departure("manager_daan", clerk, departure)
    assert account.departure_date == departure
    assert gov.set_departure("admin", clerk, departure.isoformat()).departure_date == departure
    with pytest.raises(GovernanceError, match="future date"):
        gov.set_departure("manager_daan", clerk, clock.day)
    with pytest.raises(GovernanceError, match="YYYY-MM-DD"):
        gov.set_departure("manager_daan", clerk, "next week")
    gov.create_account("admin", "manager_xinyi", "XINYI", ["agency_manager"])
    for actor in ("manager_xinyi", "clerk_daan", "owner_cra"):
        with pytest.raises(GovernanceForbidden, match="agency_manager of DAAN"):
            gov.set_departure(actor, clerk, departure)
    with pytest.raises(NotFound):
        gov.set_departure("admin", "ghost", departure)
    assert gov.set_departure("manager_daan", clerk, None).departure_date is None


def test_leavers_are_offboarded_ten_working_days_before(
    gov: Governance, fed: Federation, clock: FakeClock
) -> None:
    parent, first, second = _two_children(gov)
    departure = clock.day + dt.timedelta(days=60)
    gov.set_departure("manager_daan", "clerk_daan2", departure)
    cutoff = working_days_before(departure, 10)
    clock.day = cutoff - dt.timedelta(days=1)
    assert gov.offboard_due() == []
    clock.day = cutoff
    [action] = gov.offboard_due()
    reason = f"offboarding: leaves on {departure.isoformat()}"
    assert (action.action, action.user, action.grants, action.reason) == (
        "offboard",
        "clerk_daan2",
        (first,),
        reason,
    )
    account = fed.accounts.get("clerk_daan2")
    assert account is not None
    assert (account.status, account.status_reason) == ("suspended", reason)
    assert {g.id for g in gov.grants("admin")} == {parent, second}
    clock.day = departure + dt.timedelta(days=3)
    assert gov.offboard_due() == []  # idempotent, also after the day


def test_a_suspended_leaver_still_loses_grants_given_later(
    gov: Governance, fed: Federation, clock: FakeClock
) -> None:
    parent, first, _ = _two_children(gov)
    departure = clock.day + dt.timedelta(days=5)
    gov.set_departure("manager_daan", "clerk_daan2", departure)
    [action] = gov.offboard_due()
    assert action.grants == (first,)
    gov.set_account_status("admin", "clerk_daan2", "active", "誤停用")
    late = gov.delegate("manager_daan", parent, "clerk_daan2").id
    [again] = gov.offboard_due()
    assert again.grants == (late,)
    account = fed.accounts.get("clerk_daan2")
    assert account is not None and account.status == "suspended"


def test_the_sweep_is_for_platform_admins(gov: Governance, clock: FakeClock) -> None:
    _, first, second = _two_children(gov)
    clock.advance(200)
    with pytest.raises(GovernanceForbidden, match="platform_admin"):
        gov.sweep("manager_daan")
    assert {a.grants[0] for a in gov.sweep("admin")} == {first, second}
