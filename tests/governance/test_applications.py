"""Applications: who may file and decide them, what an approval may narrow, and what it opens."""

from __future__ import annotations

from typing import Any

import pytest

from api.governance import Governance, GovernanceError, GovernanceForbidden, NotFound
from tests.governance.helpers import PERSONS_REQUEST


@pytest.fixture(scope="module")
def pending(shared_gov: Governance) -> str:
    """An application that the refusal tests leave pending."""
    return shared_gov.apply("manager_daan", **PERSONS_REQUEST).id


def test_a_manager_applies_for_their_own_agency(gov: Governance) -> None:
    application = gov.apply("manager_daan", **PERSONS_REQUEST)
    assert application.status == "pending"
    assert (application.agency, application.source, application.table) == (
        "DAAN",
        "household",
        "household.persons",
    )
    assert application.spec["agency"] == "DAAN"
    assert application.spec["require"] == [{"column": "national_id", "max_values": 10}]
    assert application.document_ref == PERSONS_REQUEST["document_ref"]
    assert gov.application(application.id) == application
    assert application.to_dict()["applied_at"].endswith("+00:00")


def test_a_platform_admin_applies_on_behalf_of_an_agency(gov: Governance) -> None:
    application = gov.apply("admin", agency="XINYI", **PERSONS_REQUEST)
    assert application.agency == "XINYI" and application.applied_by == "admin"
    with pytest.raises(GovernanceError, match="agency None is not configured"):
        gov.apply("admin", **PERSONS_REQUEST)


@pytest.mark.parametrize(
    ("actor", "extra", "says"),
    [
        ("clerk_daan", {}, "only an agency_manager"),
        ("owner_cra", {}, "only an agency_manager"),
        ("manager_daan", {"agency": "XINYI"}, "only for their own agency \\(DAAN\\)"),
        ("nobody", {}, "has no account"),
    ],
)
def test_only_a_manager_or_admin_applies(
    shared_gov: Governance, actor: str, extra: dict[str, Any], says: str
) -> None:
    before = shared_gov.applications("admin")
    with pytest.raises(GovernanceForbidden, match=says):
        shared_gov.apply(actor, **{**PERSONS_REQUEST, **extra})
    assert shared_gov.applications("admin") == before


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"document_ref": " "}, "document_ref: give the official document number"),
        ({"justification": ""}, "justification: say why"),
        ({"purposes": ["gossip"]}, "purposes: 'gossip' is not in the purpose registry"),
        ({"purposes": []}, "purposes: name at least one"),
        ({"table": "nowhere.persons"}, "source 'nowhere' does not exist"),
        ({"table": "household.secrets"}, "table: household.secrets does not exist"),
        ({"columns": {"shoe_size": "read"}}, "shoe_size: household.persons has no such column"),
        ({"columns": {"name": "peek"}}, "columns.name: unknown column mode"),
        ({"row_filter": "DROP TABLE x"}, "row_filter"),
        ({"max_rows": 0}, "max_rows: must be a whole number ≥ 1"),
        ({"valid_until": "2000-01-01"}, "valid_until: must be a day after today"),
    ],
)
def test_a_bad_application_names_the_key(
    shared_gov: Governance, change: dict[str, Any], says: str
) -> None:
    before = shared_gov.applications("admin")
    with pytest.raises(GovernanceError, match=says):
        shared_gov.apply("manager_daan", **{**PERSONS_REQUEST, **change})
    assert shared_gov.applications("admin") == before


def test_the_owner_approves_and_the_agency_grant_opens(gov: Governance) -> None:
    application = gov.apply("manager_daan", **PERSONS_REQUEST)
    approved = gov.approve("owner_cra", application.id, note="同意")
    assert approved.status == "approved" and approved.decided_by == "owner_cra"
    assert approved.approved_spec == {**application.spec, "agency": "DAAN"}
    [grant] = [g for g in gov.grants("owner_cra") if g.id == approved.grant_id]
    assert grant.agency == "DAAN" and grant.user is None and grant.created_by == "owner_cra"


def test_an_approval_may_narrow_the_request(gov: Governance) -> None:
    application = gov.apply("manager_daan", **PERSONS_REQUEST)
    approved = gov.approve(
        "owner_cra",
        application.id,
        {"columns": {"national_id": "read", "district": "read"}, "max_rows": 20},
    )
    assert approved.approved_spec is not None
    assert approved.approved_spec["columns"] == {"national_id": "read", "district": "read"}
    assert approved.approved_spec["max_rows"] == 20
    assert approved.approved_spec["row_filter"] == "district = '大安區'"


@pytest.mark.parametrize(
    ("narrowed", "says"),
    [
        ({"columns": {"phone": "read"}}, "columns.phone: not in the application"),
        ({"purposes": ["statistics"]}, "purposes: statistics is not in the application"),
        ({"table": "household.households"}, "table: cannot be changed"),
    ],
)
def test_an_approval_cannot_widen_the_request(
    shared_gov: Governance, pending: str, narrowed: dict[str, Any], says: str
) -> None:
    with pytest.raises(GovernanceError, match=says):
        shared_gov.approve("owner_cra", pending, narrowed)
    assert shared_gov.application(pending).status == "pending"
    assert shared_gov.grants("admin") == []


@pytest.mark.parametrize("actor", ["owner_dsw", "manager_daan", "admin", "clerk_daan"])
def test_only_the_owning_agencys_data_owner_decides(
    shared_gov: Governance, pending: str, actor: str
) -> None:
    with pytest.raises(GovernanceForbidden, match="only a data_owner of CRA"):
        shared_gov.approve(actor, pending)
    with pytest.raises(GovernanceForbidden, match="only a data_owner of CRA"):
        shared_gov.reject(actor, pending, "no")
    assert shared_gov.application(pending).status == "pending"


def test_a_decided_application_cannot_be_decided_again(gov: Governance) -> None:
    first = gov.apply("manager_daan", **PERSONS_REQUEST)
    gov.approve("owner_cra", first.id)
    second = gov.apply("manager_daan", **PERSONS_REQUEST)
    rejected = gov.reject("owner_cra", second.id, "公文不符")
    assert (rejected.status, rejected.decision_note, rejected.grant_id) == (
        "rejected",
        "公文不符",
        None,
    )
    for application_id in (first.id, second.id):
        with pytest.raises(GovernanceError, match="already"):
            gov.approve("owner_cra", application_id)
        with pytest.raises(GovernanceError, match="already"):
            gov.reject("owner_cra", application_id, "again")
    assert len(gov.grants("admin")) == 1


def test_a_rejection_needs_a_reason(gov: Governance) -> None:
    application = gov.apply("manager_daan", **PERSONS_REQUEST)
    with pytest.raises(GovernanceError, match="reason"):
        gov.reject("owner_cra", application.id, "  ")


def test_unknown_applications_are_not_found(gov: Governance) -> None:
    with pytest.raises(NotFound):
        gov.approve("owner_cra", "app-nope")
    with pytest.raises(NotFound):
        gov.application("app-nope")


def test_each_sees_the_applications_that_concern_them(gov: Governance) -> None:
    persons = gov.apply("manager_daan", **PERSONS_REQUEST)
    welfare = gov.apply(
        "admin",
        agency="XINYI",
        table="welfare.recipients",
        columns={"program": "read"},
        purposes=["statistics"],
        document_ref="北市信社字第1",
        justification="統計",
    )

    def ids(actor: str, status: str | None = None) -> list[str]:
        return [a.id for a in gov.applications(actor, status)]

    assert ids("admin") == [persons.id, welfare.id]
    assert ids("owner_cra") == [persons.id]
    assert ids("owner_dsw") == [welfare.id]
    assert ids("manager_daan") == [persons.id]
    gov.reject("owner_dsw", welfare.id, "不需要")
    assert ids("admin", status="rejected") == [welfare.id]
    with pytest.raises(GovernanceForbidden):
        gov.applications("clerk_daan")
    with pytest.raises(GovernanceError, match="status"):
        gov.applications("admin", status="maybe")
