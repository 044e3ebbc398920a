"""The governance tables are portable: the same steps with the metadata database on PostgreSQL
(a throwaway schema) instead of SQLite."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api.governance import Governance, GovernanceError
from engine import Federation
from tests.governance.helpers import WELFARE, FakeClock, approved_persons_grant, new_clerk


@pytest.fixture()
def pg_fed(demo: Path, pg_dsn: str) -> Iterator[Federation]:
    schema = f"civicfed_gov_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_dsn.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    config = demo / "civicfed.toml"
    url = f"{pg_dsn}?options=-csearch_path%3D{schema}"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "[federation]\n", f'[federation]\nmetadata_url = "{url}"\n', 1
        ),
        encoding="utf-8",
    )
    federation = Federation.open(config)
    try:
        yield federation
    finally:
        federation.close()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_the_procedure_runs_on_postgresql(pg_fed: Federation, facts: dict[str, Any]) -> None:
    assert pg_fed.metadata_engine.dialect.name == "postgresql"
    clock = FakeClock(dt.datetime.now(dt.UTC).date())
    gov = Governance(pg_fed, clock=clock)
    parent = approved_persons_grant(gov, columns={"national_id": "read", "district": "read"})
    clerk = new_clerk(gov)
    child = gov.delegate("manager_daan", parent, clerk)
    subject = facts["lookup_person"]["national_id"]
    sql = f"SELECT district FROM household.persons WHERE national_id = '{subject}'"
    assert pg_fed.query(sql, user=clerk, purpose=WELFARE).num_rows == 1
    [application] = gov.applications("owner_cra", status="approved")
    assert application.decided_at is not None and application.decided_at.tzinfo is not None
    with pytest.raises(GovernanceError, match="already approved"):
        gov.approve("owner_cra", application.id)

    campaign = gov.start_review("manager_daan", "DAAN")
    item = next(i for i in campaign.items if i.grant_id == child.id)
    assert item.last_used_at is not None and item.revocable
    for each in campaign.items:
        gov.decide_review("manager_daan", campaign.id, each.id, "keep")
    assert not gov.campaign(campaign.id).open
    assert "DAAN" not in {d.agency for d in gov.reviews_due()}

    clock.advance(181)
    assert [a.grants for a in gov.suspend_dormant()] == [(child.id,)]
    gov.set_departure("manager_daan", clerk, clock.day + dt.timedelta(days=3))
    [offboarded] = gov.offboard_due()
    assert offboarded.user == clerk
