"""The metadata store on SQLite and PostgreSQL: grants created and revoked with who and when,
revoked grants kept, two-tier delegation (child ∩ parent), cascading revocation, the policy
version, and the Casbin rules kept beside the grants."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from policies import Authorizer, ColumnMode, GrantStore, StoreError
from policies.delegation import DelegationError
from tests.policies.builders import PERSONS, principal

DAY = dt.date(2026, 6, 1)
CLERK = principal("clerk", "DAAN", district="大安區")
OTHER_CLERK = principal("other", "XINYI", district="信義區")

AGENCY_GRANT = {
    "agency": "DAAN",
    "table": "household.*",
    "columns": {
        "national_id": "read",
        "name": "read",
        "birth_date": "read",
        "district": "read",
        "phone": "condition",
    },
    "row_filter": "district = {user.district}",
    "require": [{"column": "national_id", "max_values": 10}],
    "max_rows": 200,
    "purposes": ["welfare-eligibility", "land-admin"],
    "valid_until": "2027-05-31",
}
CHILD_GRANT = {
    "user": "clerk",
    "table": "household.persons",
    "columns": {"national_id": "read", "name": "read", "birth_date": "mask:year_only"},
    "row_filter": "birth_date < DATE '2000-01-01'",
    "require": [{"column": "national_id", "max_values": 3}, {"column": "name"}],
    "max_rows": 500,
    "purposes": ["welfare-eligibility"],
    "valid_from": "2026-03-01",
    "valid_until": "2028-01-01",
}


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """A fresh metadata database: a SQLite file, or a throwaway PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'metadata.sqlite'}", None
        return
    dsn = request.getfixturevalue("pg_dsn")
    schema = f"civicfed_policy_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(dsn.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield dsn, schema
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def open_authorizer(store_url: tuple[str, str | None], refresh_s: float = 1.0) -> Authorizer:
    url, schema = store_url
    return Authorizer(
        store=GrantStore.open(url, schema=schema),
        members={"clerk": "DAAN", "other": "XINYI"},
        refresh_s=refresh_s,
    )


def test_store_keeps_grants_with_who_and_when(store_url: tuple[str, str | None]) -> None:
    authorizer = open_authorizer(store_url)
    assert not authorizer.decide(CLERK, PERSONS, "welfare-eligibility", DAY).visible
    version = authorizer.version
    record = authorizer.create_grant(AGENCY_GRANT, created_by="owner_cra")
    assert authorizer.version != version
    [stored] = authorizer.grant_records()
    assert stored.id == record.id and stored.created_by == "owner_cra" and stored.active
    assert stored.spec["row_filter"] == "district = {user.district}"
    # The agency grant opens nothing by itself: the manager hands a member a subset.
    assert not authorizer.decide(CLERK, PERSONS, "welfare-eligibility", DAY).visible
    child = authorizer.create_grant(
        {
            **CHILD_GRANT,
            "columns": {"national_id": "read", "district": "read"},
            "require": [{"column": "national_id", "max_values": 10}],
            "valid_from": None,
        },
        created_by="manager_daan",
        parent=record.id,
    )
    decision = authorizer.decide(CLERK, PERSONS, "welfare-eligibility", DAY)
    assert decision.allowed and decision.grants == (child.id, record.id)
    assert "district = '大安區'" in str(decision.row_filter)
    authorizer.close()


def test_delegated_grant_is_the_intersection_with_its_parent(
    store_url: tuple[str, str | None],
) -> None:
    authorizer = open_authorizer(store_url)
    parent = authorizer.create_grant(AGENCY_GRANT, created_by="owner_cra")
    child = authorizer.create_grant(CHILD_GRANT, created_by="manager_daan", parent=parent.id)
    decision = authorizer.decide(CLERK, PERSONS, "welfare-eligibility", DAY)
    assert decision.allowed, decision.reasons
    assert decision.grants == (child.id, parent.id)
    assert {c: (r.mode, r.mask) for c, r in decision.columns.items()} == {
        "national_id": (ColumnMode.READ, None),
        "name": (ColumnMode.READ, None),
        "birth_date": (ColumnMode.MASK, "year_only"),
    }
    assert decision.row_filter == (
        "(birth_date < CAST('2000-01-01' AS DATE)) AND (district = '大安區')"
    )
    assert {(r.column, r.max_values) for r in decision.required} == {
        ("national_id", 3),
        ("name", 1),
    }
    assert decision.max_rows == 200  # the parent's cap is the smaller
    assert decision.purposes == ("welfare-eligibility",)
    assert (decision.valid_from, decision.valid_until) == (
        dt.date(2026, 3, 1),
        dt.date(2027, 5, 31),
    )
    # the child's window starts later than the parent's: not yet valid before it
    early = authorizer.decide(CLERK, PERSONS, "welfare-eligibility", dt.date(2026, 2, 1))
    assert not early.allowed and "valid from 2026-03-01" in early.reasons[0]
    # the parent allows land-admin, the child does not: the user's narrower grant governs
    land = authorizer.decide(CLERK, PERSONS, "land-admin", DAY)
    assert not land.allowed and "allowed: welfare-eligibility" in land.reasons[0]
    # other agency members hold nothing until their manager hands them a subset
    colleague = principal("colleague", "DAAN", district="大安區")
    assert not authorizer.decide(colleague, PERSONS, "land-admin", DAY).visible


def test_delegated_grant_applies_only_within_the_parent_agency(
    store_url: tuple[str, str | None],
) -> None:
    authorizer = open_authorizer(store_url)
    parent = authorizer.create_grant(AGENCY_GRANT, created_by="owner_cra")
    child = dict(CHILD_GRANT, user="other")
    authorizer.create_grant(child, created_by="manager_daan", parent=parent.id)
    decision = authorizer.decide(OTHER_CLERK, PERSONS, "welfare-eligibility", DAY)
    assert not decision.allowed  # Casbin: the grant lives in DAAN's domain, not XINYI's
    assert "no rule allows it" in " ".join(decision.reasons)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"columns": {"phone": "read"}}, "looser than the parent"),
        ({"columns": {"address": "read"}}, "not in the parent grant"),
        ({"columns": "*"}, 'does not allow columns = "*"'),
        ({"purposes": ["statistics"]}, "purpose statistics is not in the parent"),
        ({"table": "welfare.recipients"}, "outside the parent grant"),
    ],
)
def test_child_cannot_ask_for_more_than_its_parent(
    store_url: tuple[str, str | None], change: dict[str, object], fragment: str
) -> None:
    authorizer = open_authorizer(store_url)
    parent = authorizer.create_grant(AGENCY_GRANT, created_by="owner_cra")
    with pytest.raises(DelegationError, match=re.escape(fragment)):
        authorizer.create_grant(
            {**CHILD_GRANT, **change}, created_by="manager_daan", parent=parent.id
        )
    assert len(authorizer.grant_records()) == 1


def test_only_agency_grants_delegate(store_url: tuple[str, str | None]) -> None:
    authorizer = open_authorizer(store_url)
    direct = authorizer.create_grant({**CHILD_GRANT, "user": "someone"}, created_by="owner_cra")
    with pytest.raises(DelegationError, match="not an agency grant"):
        authorizer.create_grant(CHILD_GRANT, created_by="x", parent=direct.id)
    with pytest.raises(StoreError, match="does not exist"):
        authorizer.create_grant(CHILD_GRANT, created_by="x", parent="g-missing")


def test_revoking_an_agency_grant_cascades_and_keeps_history(
    store_url: tuple[str, str | None],
) -> None:
    authorizer = open_authorizer(store_url)
    parent = authorizer.create_grant(AGENCY_GRANT, created_by="owner_cra")
    child = authorizer.create_grant(CHILD_GRANT, created_by="manager_daan", parent=parent.id)
    assert authorizer.decide(CLERK, PERSONS, "welfare-eligibility", DAY).allowed
    version = authorizer.version
    revoked = authorizer.revoke_grant(parent.id, revoked_by="owner_cra", reason="case closed")
    assert set(revoked) == {parent.id, child.id}
    assert authorizer.version != version
    decision = authorizer.decide(CLERK, PERSONS, "welfare-eligibility", DAY)
    assert (decision.allowed, decision.visible) == (False, False)
    records = {r.id: r for r in authorizer.grant_records()}
    assert not records[parent.id].active and not records[child.id].active
    assert records[parent.id].revoked_by == "owner_cra"
    assert records[child.id].revoke_reason == f"case closed (parent grant {parent.id} revoked)"
    assert authorizer.grant_records(include_revoked=False) == []
    with pytest.raises(StoreError, match="already revoked"):
        authorizer.revoke_grant(parent.id, revoked_by="owner_cra", reason="again")


def test_revoking_a_child_leaves_the_parent(store_url: tuple[str, str | None]) -> None:
    authorizer = open_authorizer(store_url)
    parent = authorizer.create_grant(AGENCY_GRANT, created_by="owner_cra")
    child = authorizer.create_grant(CHILD_GRANT, created_by="manager_daan", parent=parent.id)
    assert authorizer.revoke_grant(child.id, "manager_daan", "moved desk") == (child.id,)
    # the clerk is back to nothing; the agency grant stays for the manager to hand on again
    assert not authorizer.decide(CLERK, PERSONS, "welfare-eligibility", DAY).visible
    assert [r.id for r in authorizer.grant_records(include_revoked=False)] == [parent.id]


def test_another_process_sees_changes_through_the_policy_version(
    store_url: tuple[str, str | None],
) -> None:
    writer = open_authorizer(store_url)
    reader = open_authorizer(store_url, refresh_s=0.0)
    before = reader.version
    assert not reader.decide(CLERK, PERSONS, "welfare-eligibility", DAY).visible
    record = writer.create_grant(AGENCY_GRANT, created_by="owner_cra")
    writer.create_grant(
        {**CHILD_GRANT, "valid_from": None}, created_by="manager_daan", parent=record.id
    )
    assert reader.version != before
    assert reader.decide(CLERK, PERSONS, "welfare-eligibility", DAY).allowed
    writer.revoke_grant(record.id, "owner_cra", "done")
    assert not reader.decide(CLERK, PERSONS, "welfare-eligibility", DAY).visible


def test_casbin_rules_are_kept_in_the_metadata_database(
    store_url: tuple[str, str | None],
) -> None:
    authorizer = open_authorizer(store_url)
    parent = authorizer.create_grant(AGENCY_GRANT, created_by="owner_cra")
    authorizer.create_denial(
        "household.persons.name", "select", "owner_cra", "complaint", agency="DAAN"
    )
    url, schema = store_url
    engine = GrantStore.open(url, schema=schema).engine
    with engine.connect() as conn:
        rows = {
            tuple(r)
            for r in conn.execute(sa.text("SELECT ptype, v0, v1, v2, v3, v4, v5 FROM casbin_rule"))
        }
    assert (
        "p",
        "agency:DAAN",
        "DAAN",
        "household.*.national_id|name|birth_date|district",
        "select",
        "allow",
        parent.id,
    ) in rows
    assert (
        "p",
        "agency:DAAN",
        "DAAN",
        "household.*.phone",
        "condition",
        "allow",
        parent.id,
    ) in rows
    assert any(r[0] == "p" and r[5] == "deny" for r in rows)
    assert ("g", "user:clerk", "agency:DAAN", "DAAN", None, None, None) in rows
    revoked = authorizer.revoke_grant(parent.id, "owner_cra", "done")
    with engine.connect() as conn:
        left = list(conn.execute(sa.text("SELECT v5 FROM casbin_rule WHERE v4 = 'allow'")))
    assert not [r for r in left if r[0] in revoked]
    engine.dispose()
