"""Accounts as the platform admin runs them, and actors that may no longer act."""

from __future__ import annotations

from typing import Any

import pytest

from api.governance import Governance, GovernanceError, GovernanceForbidden, NotFound
from engine import Federation
from tests.governance.helpers import PERSONS_REQUEST


def test_the_admin_creates_an_account(gov: Governance, fed: Federation) -> None:
    account = gov.create_account(
        "admin", "clerk_new", "DAAN", ["user"], district="大安區", display_name="新承辦人"
    )
    assert (account.name, account.agency, account.roles, account.status) == (
        "clerk_new",
        "DAAN",
        ("user",),
        "active",
    )
    assert account.created_by == "admin"
    stored = fed.accounts.get("clerk_new")
    assert stored is not None and stored.district == "大安區"
    assert account.to_dict()["roles"] == ["user"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("clerk_daan", "DAAN", ["user"]), "already exists"),
        (("x", "NOPE", ["user"]), "agency 'NOPE' is not configured"),
        (("x", "DAAN", ["wizard"]), "unknown role"),
        (("bad name", "DAAN", ["user"]), "not valid"),
    ],
)
def test_bad_accounts_are_refused(shared_gov: Governance, args: tuple[Any, ...], says: str) -> None:
    with pytest.raises(GovernanceError, match=says):
        shared_gov.create_account("admin", *args)
    assert {a.name for a in shared_gov.accounts("admin")}.isdisjoint({"x", "bad name"})


@pytest.mark.parametrize("actor", ["manager_daan", "owner_cra", "clerk_daan", "auditor_ethics"])
def test_only_the_admin_runs_accounts(shared_gov: Governance, actor: str) -> None:
    with pytest.raises(GovernanceForbidden, match="only a platform_admin"):
        shared_gov.create_account(actor, "clerk_new", "DAAN", ["user"])
    with pytest.raises(GovernanceForbidden, match="only a platform_admin"):
        shared_gov.set_account_status(actor, "clerk_daan", "suspended", "x")
    names = {a.name: a.status for a in shared_gov.accounts("admin")}
    assert "clerk_new" not in names and names["clerk_daan"] == "active"


def test_status_changes_say_why(gov: Governance) -> None:
    suspended = gov.set_account_status("admin", "clerk_daan", "suspended", "留職停薪")
    assert (suspended.status, suspended.status_reason) == ("suspended", "留職停薪")
    assert gov.set_account_status("admin", "clerk_daan", "active", "復職").status == "active"
    with pytest.raises(GovernanceError, match="reason"):
        gov.set_account_status("admin", "clerk_daan", "disabled", " ")
    with pytest.raises(GovernanceError, match="status: use one of"):
        gov.set_account_status("admin", "clerk_daan", "asleep", "x")
    with pytest.raises(NotFound):
        gov.set_account_status("admin", "ghost", "disabled", "x")


def test_a_suspended_actor_takes_no_steps(gov: Governance) -> None:
    gov.set_account_status("admin", "manager_daan", "suspended", "調查中")
    with pytest.raises(GovernanceForbidden, match="manager_daan is suspended"):
        gov.apply("manager_daan", **PERSONS_REQUEST)


def test_who_lists_accounts(gov: Governance) -> None:
    everyone = {a.name for a in gov.accounts("admin")}
    assert {"admin", "clerk_daan", "clerk_xinyi", "owner_cra"} <= everyone
    assert {a.name for a in gov.accounts("manager_daan")} == {"manager_daan", "clerk_daan"}
    assert {a.name for a in gov.accounts("admin", agency="XINYI")} == {"clerk_xinyi"}
    with pytest.raises(GovernanceForbidden):
        gov.accounts("manager_daan", agency="XINYI")
    with pytest.raises(GovernanceForbidden):
        gov.accounts("clerk_daan")
