"""Delegation and revocation: the manager hands on within the agency grant, to their own staff;
owners, managers and admins revoke what is theirs to revoke, and revocation cascades."""

from __future__ import annotations

from typing import Any

import pytest

from api.governance import Governance, GovernanceError, GovernanceForbidden, NotFound
from engine import Federation
from engine.errors import AccessDenied
from tests.governance.helpers import WELFARE, approved_persons_grant, new_clerk


def test_the_manager_hands_a_subset_to_a_clerk(
    gov: Governance, fed: Federation, facts: dict[str, Any]
) -> None:
    parent = approved_persons_grant(gov)
    clerk = new_clerk(gov)
    child = gov.delegate("manager_daan", parent, clerk, columns={"national_id": "read"}, max_rows=5)
    assert (child.parent, child.user, child.table) == (parent, clerk, "household.persons")
    assert child.spec["columns"] == {"national_id": "read"}
    assert child.spec["purposes"] == ["welfare-eligibility"]
    subject = facts["lookup_person"]["national_id"]
    sql = f"SELECT national_id FROM household.persons WHERE national_id = '{subject}'"
    assert fed.query(sql, user=clerk, purpose=WELFARE).num_rows == 1
    with pytest.raises(AccessDenied, match="district"):
        fed.query(sql.replace("SELECT national_id", "SELECT district"), user=clerk, purpose=WELFARE)


def test_the_parent_columns_and_purposes_are_the_default(gov: Governance) -> None:
    parent = approved_persons_grant(gov)
    child = gov.delegate("manager_daan", parent, new_clerk(gov))
    assert child.spec["columns"] == {"national_id": "read", "name": "read", "district": "read"}


@pytest.fixture(scope="module")
def family(shared_gov: Governance) -> tuple[str, str]:
    """(DAAN's persons grant, clerk_daan2's child of it) for the refusal tests."""
    parent = approved_persons_grant(shared_gov)
    child = shared_gov.delegate("manager_daan", parent, new_clerk(shared_gov)).id
    shared_gov.create_account("admin", "manager_xinyi", "XINYI", ["agency_manager"])
    return parent, child


@pytest.mark.parametrize(
    ("narrowed", "says"),
    [
        ({"columns": {"phone": "read"}}, "columns.phone: not in the agency grant"),
        ({"columns": {"name": "read", "national_id": "condition"}}, None),  # stricter: allowed
        ({"columns": {"name": "mask:first:1"}}, None),
        ({"purposes": ["statistics"]}, "purposes: statistics is not in the agency grant"),
        ({"table": "household.households"}, "outside the agency grant"),
        ({"columns": {"national_id": "bogus"}}, "unknown column mode"),
    ],
)
def test_delegation_stays_inside_the_parent(
    shared_gov: Governance, family: tuple[str, str], narrowed: dict[str, Any], says: str | None
) -> None:
    parent, _ = family
    before = {g.id for g in shared_gov.grants("admin")}
    if says is None:
        child = shared_gov.delegate("manager_daan", parent, "clerk_daan", **narrowed)
        assert child.spec["columns"] == narrowed["columns"]
        shared_gov.revoke("manager_daan", child.id, "test")
        return
    with pytest.raises(GovernanceError, match=says):
        shared_gov.delegate("manager_daan", parent, "clerk_daan", **narrowed)
    assert {g.id for g in shared_gov.grants("admin")} == before


def test_only_the_grants_agency_manager_delegates_to_its_own_staff(gov: Governance) -> None:
    parent = approved_persons_grant(gov)
    clerk = new_clerk(gov)
    gov.create_account("admin", "manager_xinyi", "XINYI", ["agency_manager"])
    for actor in ("manager_xinyi", "owner_cra", "admin", "clerk_daan"):
        with pytest.raises(GovernanceForbidden, match="only an agency_manager of DAAN"):
            gov.delegate(actor, parent, clerk)
    with pytest.raises(GovernanceForbidden, match="belongs to XINYI"):
        gov.delegate("manager_daan", parent, "clerk_xinyi")


def test_delegation_needs_an_active_agency_grant_and_a_known_user(gov: Governance) -> None:
    parent = approved_persons_grant(gov)
    clerk = new_clerk(gov)
    child = gov.delegate("manager_daan", parent, clerk)
    with pytest.raises(GovernanceError, match="not an agency grant"):
        gov.delegate("manager_daan", child.id, clerk)
    with pytest.raises(NotFound, match="no account 'ghost'"):
        gov.delegate("manager_daan", parent, "ghost")
    with pytest.raises(NotFound, match="no stored grant"):
        gov.delegate("manager_daan", "g-nope", clerk)
    with pytest.raises(GovernanceError, match=r"civicfed\.toml"):
        gov.delegate("manager_daan", "config-1", clerk)
    gov.set_account_status("admin", clerk, "suspended", "停職")
    with pytest.raises(GovernanceError, match="is suspended"):
        gov.delegate("manager_daan", parent, clerk)
    gov.revoke("owner_cra", parent, "結案")
    with pytest.raises(GovernanceError, match="was revoked"):
        gov.delegate("manager_daan", parent, "clerk_daan")


def test_revoking_the_agency_grant_revokes_its_children(gov: Governance) -> None:
    parent = approved_persons_grant(gov)
    first = gov.delegate("manager_daan", parent, new_clerk(gov, "clerk_a"))
    second = gov.delegate("manager_daan", parent, new_clerk(gov, "clerk_b"))
    assert set(gov.revoke("owner_cra", parent, "結案")) == {parent, first.id, second.id}
    assert gov.grants("admin") == []
    history = {g.id: g for g in gov.grants("admin", include_revoked=True)}
    assert history[first.id].revoke_reason == f"結案 (parent grant {parent} revoked)"
    with pytest.raises(GovernanceError, match="already revoked"):
        gov.revoke("owner_cra", parent, "again")


@pytest.mark.parametrize(
    ("actor", "target"),
    [
        ("owner_cra", "agency"),
        ("owner_cra", "child"),
        ("admin", "agency"),
        ("manager_daan", "child"),
    ],
)
def test_who_may_revoke(gov: Governance, actor: str, target: str) -> None:
    parent = approved_persons_grant(gov)
    child = gov.delegate("manager_daan", parent, new_clerk(gov)).id
    grant_id = parent if target == "agency" else child
    assert grant_id in gov.revoke(actor, grant_id, "不再需要")


@pytest.mark.parametrize(
    ("actor", "target"),
    [
        ("manager_daan", "agency"),  # the agency's own grant is the owner's to revoke
        ("owner_dsw", "child"),
        ("clerk_daan", "child"),
        ("manager_xinyi", "child"),
    ],
)
def test_who_may_not_revoke(
    shared_gov: Governance, family: tuple[str, str], actor: str, target: str
) -> None:
    parent, child = family
    with pytest.raises(GovernanceForbidden, match="data_owner of CRA"):
        shared_gov.revoke(actor, parent if target == "agency" else child, "不再需要")
    assert {parent, child} <= {g.id for g in shared_gov.grants("admin")}


def test_revoke_refuses_config_grants_unknown_ids_and_no_reason(gov: Governance) -> None:
    parent = approved_persons_grant(gov)
    with pytest.raises(GovernanceError, match="policy as code"):
        gov.revoke("admin", "config-1", "x")
    with pytest.raises(NotFound):
        gov.revoke("admin", "g-000000000000", "x")
    with pytest.raises(GovernanceError, match="reason"):
        gov.revoke("admin", parent, "")


def test_each_sees_the_grants_that_concern_them(gov: Governance) -> None:
    parent = approved_persons_grant(gov)
    clerk = new_clerk(gov)
    child = gov.delegate("manager_daan", parent, clerk).id
    gov.create_account("admin", "manager_xinyi", "XINYI", ["agency_manager"])

    def ids(actor: str) -> set[str]:
        return {g.id for g in gov.grants(actor)}

    assert ids("admin") == ids("owner_cra") == ids("manager_daan") == {parent, child}
    assert ids(clerk) == {child}
    assert ids("owner_dsw") == ids("manager_xinyi") == ids("clerk_daan") == set()
    assert gov.grants("admin")[0].to_dict()["spec"]["agency"] == "DAAN"
