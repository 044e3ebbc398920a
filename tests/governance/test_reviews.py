"""Access reviews: a campaign lists each user's rights with last use; each is kept or revoked;
the campaign closes when all are decided; agencies are due every six months."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from api.governance import Governance, GovernanceError, GovernanceForbidden, NotFound
from engine import Federation
from tests.governance.helpers import WELFARE, FakeClock, approved_persons_grant, new_clerk


def _campaign_with_a_used_grant(
    gov: Governance, fed: Federation, facts: dict[str, Any]
) -> tuple[str, str, str]:
    """(campaign id, the new clerk's used grant, the unused one)."""
    parent = approved_persons_grant(gov)
    clerk = new_clerk(gov)
    used = gov.delegate("manager_daan", parent, clerk, columns={"national_id": "read"}).id
    other = new_clerk(gov, "clerk_daan3")
    unused = gov.delegate("manager_daan", parent, other).id
    subject = facts["lookup_person"]["national_id"]
    sql = f"SELECT national_id FROM household.persons WHERE national_id = '{subject}'"
    fed.query(sql, user=clerk, purpose=WELFARE)
    return gov.start_review("manager_daan", "DAAN").id, used, unused


def test_a_campaign_lists_every_users_rights_with_last_use(
    gov: Governance, fed: Federation, facts: dict[str, Any]
) -> None:
    campaign_id, used, unused = _campaign_with_a_used_grant(gov, fed, facts)
    campaign = gov.campaign(campaign_id)
    assert campaign.open and campaign.agency == "DAAN" and campaign.started_by == "manager_daan"
    items = {i.grant_id: i for i in campaign.items}
    assert items[used].user == "clerk_daan2" and items[used].revocable
    assert items[used].columns == {"national_id": "read"}
    assert items[used].last_used_at is not None
    assert items[unused].last_used_at is None
    config = [i for i in campaign.items if i.user == "clerk_daan"]
    assert {i.table for i in config} == {
        "household.persons",
        "welfare.recipients",
        "land.ownership",
        "land.parcels",
    }
    assert not any(i.revocable for i in config)
    assert {i.user for i in campaign.items} == {"clerk_daan", "clerk_daan2", "clerk_daan3"}
    assert campaign.to_dict()["items"][0]["campaign_id"] == campaign_id


def test_decisions_keep_or_revoke_and_the_last_closes_the_campaign(
    gov: Governance, fed: Federation, facts: dict[str, Any]
) -> None:
    campaign_id, used, unused = _campaign_with_a_used_grant(gov, fed, facts)
    items = {i.grant_id: i for i in gov.campaign(campaign_id).items}
    revoked = gov.decide_review("manager_daan", campaign_id, items[unused].id, "revoke", "調職")
    assert (revoked.decision, revoked.decided_by, revoked.note) == (
        "revoke",
        "manager_daan",
        "調職",
    )
    assert unused not in {g.id for g in gov.grants("admin")}
    with pytest.raises(GovernanceError, match="already decided"):
        gov.decide_review("manager_daan", campaign_id, items[unused].id, "keep")
    config = next(i for i in items.values() if not i.revocable)
    with pytest.raises(GovernanceError, match="policy as code"):
        gov.decide_review("manager_daan", campaign_id, config.id, "revoke")
    with pytest.raises(GovernanceError, match="keep or revoke"):
        gov.decide_review("manager_daan", campaign_id, config.id, "maybe")
    for item in items.values():
        if item.grant_id != unused:
            assert gov.campaign(campaign_id).open
            gov.decide_review("manager_daan", campaign_id, item.id, "keep")
    closed = gov.campaign(campaign_id)
    assert not closed.open and all(i.decision for i in closed.items)
    assert used in {g.id for g in gov.grants("admin")}
    with pytest.raises(GovernanceError, match="closed"):
        gov.decide_review("manager_daan", campaign_id, config.id, "keep")


def test_only_the_agencys_manager_or_an_admin_reviews(gov: Governance) -> None:
    gov.create_account("admin", "manager_xinyi", "XINYI", ["agency_manager"])
    for actor in ("manager_xinyi", "clerk_daan", "owner_cra"):
        with pytest.raises(GovernanceForbidden, match="agency_manager of DAAN"):
            gov.start_review(actor, "DAAN")
    campaign = gov.start_review("admin", "DAAN")
    item = campaign.items[0]
    with pytest.raises(GovernanceForbidden, match="agency_manager of DAAN"):
        gov.decide_review("manager_xinyi", campaign.id, item.id, "keep")
    assert [c.id for c in gov.campaigns("manager_daan")] == [campaign.id]
    assert gov.campaigns("manager_xinyi") == []
    with pytest.raises(GovernanceForbidden):
        gov.campaigns("manager_xinyi", agency="DAAN")


def test_one_open_campaign_per_agency_and_unknown_ids(gov: Governance) -> None:
    campaign = gov.start_review("manager_daan", "DAAN")
    with pytest.raises(GovernanceError, match="still open"):
        gov.start_review("manager_daan", "DAAN")
    with pytest.raises(NotFound):
        gov.campaign("rc-nope")
    with pytest.raises(NotFound):
        gov.decide_review("manager_daan", "rc-nope", "ri-nope", "keep")
    with pytest.raises(NotFound, match="no item"):
        gov.decide_review("manager_daan", campaign.id, "ri-nope", "keep")
    with pytest.raises(GovernanceError, match="agency 'NOPE' is not configured"):
        gov.start_review("admin", "NOPE")


def test_an_agency_without_user_grants_closes_at_once(gov: Governance) -> None:
    campaign = gov.start_review("admin", "FIRE")
    assert campaign.items == () and not campaign.open


def test_reviews_are_due_every_six_months(gov: Governance, clock: FakeClock) -> None:
    everyone = {d.agency for d in gov.reviews_due()}
    assert {"DAAN", "XINYI", "CRA"} <= everyone
    assert all(d.last_started is None for d in gov.reviews_due())
    campaign = gov.start_review("manager_daan", "DAAN")
    assert "DAAN" not in {d.agency for d in gov.reviews_due()}
    later = clock.day + dt.timedelta(days=190)
    due = {d.agency: d for d in gov.reviews_due(later)}
    assert due["DAAN"].last_started == campaign.started_at
    assert "DAAN" not in {d.agency for d in gov.reviews_due(clock.day + dt.timedelta(days=150))}
