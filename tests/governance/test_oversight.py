"""Owners' oversight: last use and usage per source read from the audit log in SQL, and evidence
requested by a source's owner and answered by the querying agency."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from api.governance import Governance, GovernanceError, GovernanceForbidden, NotFound
from audit import AuditLog
from audit.usage import last_use, usage_by_source
from engine import Federation
from engine.errors import AccessDenied
from tests.governance.helpers import WELFARE


def _lookups(fed: Federation, subject: str) -> dict[str, str]:
    """clerk_daan's queries: two of persons, one of recipients, one joining both, one refused."""
    persons = f"SELECT name FROM household.persons WHERE national_id = '{subject}'"
    recipients = f"SELECT program FROM welfare.recipients WHERE national_id = '{subject}'"
    both = (
        "SELECT p.name, r.program FROM household.persons p JOIN welfare.recipients r "
        f"ON r.national_id = p.national_id WHERE p.national_id = '{subject}'"
    )
    ids = {}
    for name, sql in (("persons", persons), ("again", persons), ("recipients", recipients)):
        ids[name] = fed.run(sql, "clerk_daan", WELFARE)[1].query_id
    ids["both"] = fed.run(both, "clerk_daan", WELFARE)[1].query_id
    with pytest.raises(AccessDenied, match="phone"):
        fed.query(persons.replace("name", "phone"), user="clerk_daan", purpose=WELFARE)
    return ids


@pytest.fixture()
def queries(fed: Federation, facts: dict[str, Any]) -> dict[str, str]:
    return _lookups(fed, facts["lookup_person"]["national_id"])


@pytest.fixture(scope="module")
def shared_queries(shared_fed: Federation, facts: dict[str, Any]) -> dict[str, str]:
    return _lookups(shared_fed, facts["lookup_person"]["national_id"])


def test_last_use_is_per_user_and_grant(fed: Federation, queries: dict[str, str]) -> None:
    assert isinstance(fed.audit, AuditLog)
    used = last_use(fed.audit)
    assert {user for user, _ in used} == {"clerk_daan"}
    grants = {grant for _, grant in used}
    assert len(grants) == 2 and all(g.startswith("config-") for g in grants)
    now = dt.datetime.now(dt.UTC)
    assert all(now - dt.timedelta(minutes=5) < t <= now for t in used.values())


def test_usage_by_source_counts_queries_per_agency_and_user(
    fed: Federation, gov: Governance, queries: dict[str, str]
) -> None:
    assert isinstance(fed.audit, AuditLog)
    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)
    [household] = usage_by_source(fed.audit, "household", start, end)
    assert (household.agency, household.user, household.queries, household.ok) == (
        "DAAN",
        "clerk_daan",
        3,
        3,
    )
    [welfare] = usage_by_source(fed.audit, "welfare", start, end)
    assert welfare.queries == 2
    assert usage_by_source(fed.audit, "household", end, end + dt.timedelta(days=1)) == []
    [seen] = gov.source_usage("owner_cra", "household", start, end)
    assert seen.to_dict()["queries"] == 3
    assert len(gov.source_usage("admin", "welfare", start, end)) == 1
    for actor in ("owner_dsw", "manager_daan", "clerk_daan"):
        with pytest.raises(GovernanceForbidden, match="data_owner of CRA"):
            gov.source_usage(actor, "household", start, end)


def test_the_owner_requests_and_the_querier_answers(
    fed: Federation, gov: Governance, queries: dict[str, str]
) -> None:
    assert isinstance(fed.audit, AuditLog)
    query = queries["persons"]
    request = gov.request_evidence("owner_cra", query, "請提供案件公文影本")
    assert (request.querier, request.agency, request.requested_by) == (
        "clerk_daan",
        "DAAN",
        "owner_cra",
    )
    assert [r.query_id for r in gov.evidence_requests("DAAN")] == [query]
    assert gov.evidence_requests("XINYI") == []
    answer = gov.answer_evidence("clerk_daan", query, "北市社助字第1133012345號")
    assert answer.answered_by == "clerk_daan"
    assert gov.evidence_requests("DAAN") == []
    steps = [e.get("step") for e in fed.audit.events_for(query)]
    assert steps == [None, "evidence_requested", "evidence_received"]


def test_the_querying_agencys_manager_may_answer(gov: Governance, queries: dict[str, str]) -> None:
    query = queries["both"]
    gov.request_evidence("owner_dsw", query, "個案編號")  # the join read welfare too
    gov.request_evidence("owner_cra", queries["again"], "公文")
    gov.answer_evidence("manager_daan", query, "案號 113-0042")
    assert [r.query_id for r in gov.evidence_requests("DAAN")] == [queries["again"]]


@pytest.mark.parametrize(
    ("actor", "query", "says"),
    [
        ("owner_dsw", "persons", "data_owner of the owning agency \\(CRA\\)"),
        ("manager_daan", "persons", "data_owner of the owning agency"),
        ("admin", "recipients", "data_owner of the owning agency \\(DSW\\)"),
    ],
)
def test_only_an_owner_of_a_source_read_requests_evidence(
    shared_gov: Governance, shared_queries: dict[str, str], actor: str, query: str, says: str
) -> None:
    with pytest.raises(GovernanceForbidden, match=says):
        shared_gov.request_evidence(actor, shared_queries[query], "公文")
    assert shared_gov.evidence_requests("DAAN") == []


def test_evidence_answers_are_checked(gov: Governance, queries: dict[str, str]) -> None:
    query = queries["persons"]
    with pytest.raises(GovernanceError, match="no evidence was requested"):
        gov.answer_evidence("clerk_daan", query, "公文")
    gov.request_evidence("owner_cra", query, "公文")
    gov.create_account("admin", "clerk_other", "XINYI", ["user"])
    with pytest.raises(GovernanceForbidden, match="agency_manager of DAAN"):
        gov.answer_evidence("clerk_other", query, "公文")
    with pytest.raises(GovernanceError, match="describe the document"):
        gov.answer_evidence("clerk_daan", query, " ")
    with pytest.raises(GovernanceError, match="describe the document"):
        gov.request_evidence("owner_cra", query, "")
    with pytest.raises(NotFound, match="no query"):
        gov.request_evidence("owner_cra", "q-nope", "公文")
    with pytest.raises(NotFound, match="no query"):
        gov.answer_evidence("clerk_daan", "q-nope", "公文")
