"""What the governance tests share: the demo's scale, a purpose, the persons application, a
fake clock (a plain callable) and two steps most tests begin with."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from api.governance import Governance
from engine import Purpose

SCALE = 2000
SEED = 11
WELFARE = Purpose(
    case_name="低收入戶資格複查",
    purpose="welfare-eligibility",
    document_no="北市社助字第1133012345號",
    case_no="113-0042",
)
PERSONS_REQUEST: dict[str, Any] = {
    "table": "household.persons",
    "columns": {"national_id": "read", "name": "read", "district": "read"},
    "require": [{"column": "national_id", "max_values": 10}],
    "row_filter": "district = '大安區'",
    "purposes": ["welfare-eligibility"],
    "document_ref": "北市安社字第1130001234號",
    "justification": "低收入戶資格複查需核對戶籍",
}


@dataclass
class FakeClock:
    """Today, as the test sets it."""

    day: dt.date

    def __call__(self) -> dt.date:
        return self.day

    def advance(self, days: int) -> None:
        self.day += dt.timedelta(days=days)


def approved_persons_grant(gov: Governance, **narrowed: Any) -> str:
    """manager_daan applies for persons; owner_cra approves (narrowed); the grant's id."""
    application = gov.apply("manager_daan", **PERSONS_REQUEST)
    approved = gov.approve("owner_cra", application.id, narrowed or None)
    assert approved.grant_id is not None
    return approved.grant_id


def new_clerk(gov: Governance, name: str = "clerk_daan2", agency: str = "DAAN") -> str:
    gov.create_account("admin", name, agency, ["user"], district="大安區")
    return name
