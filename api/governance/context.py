"""What every governance step needs: the federation's parts, today's date, who the actor is,
who owns a source, and the audit log."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from api.governance.errors import GovernanceError, GovernanceForbidden, NotFound
from api.governance.records import metadata
from audit import AuditLog, record_governance
from engine import Federation
from policies import GrantRecord, Principal
from policies.accounts import Account

SYSTEM = "system"  # the actor of scheduled sweeps (dormancy, offboarding)
ADMIN = "platform_admin"
OWNER = "data_owner"
MANAGER = "agency_manager"

Clock = Callable[[], dt.date | dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class GovernanceContext:
    """The federation seen by the governance service, with a clock that tests can set."""

    def __init__(self, fed: Federation, clock: Clock = utc_now) -> None:
        self.fed = fed
        self.clock = clock
        self.engine = fed.metadata_engine
        metadata.create_all(self.engine)

    # -- time --------------------------------------------------------------------------------
    def today(self, day: dt.date | dt.datetime | None = None) -> dt.date:
        value = self.clock() if day is None else day
        return value.astimezone(dt.UTC).date() if isinstance(value, dt.datetime) else value

    def now(self) -> dt.datetime:
        """The clock's time; a clock that gives only a date gets the current time of day."""
        value = self.clock()
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC)
        return dt.datetime.combine(value, utc_now().timetz())

    # -- people ------------------------------------------------------------------------------
    def actor(self, name: str) -> Principal:
        """The acting user, who must hold an active account that has not left."""
        account = self.account(name) if isinstance(name, str) else None
        if account is None:
            raise GovernanceForbidden(
                f"{name!r} has no account; a platform administrator creates accounts"
            )
        if account.status != "active":
            raise GovernanceForbidden(f"account {name} is {account.status}; it takes no steps")
        if not account.can_query(self.today()):
            raise GovernanceForbidden(
                f"account {name} left on {account.departure_date}; it takes no steps"
            )
        return account.principal()

    def account(self, name: str) -> Account | None:
        return self.fed.accounts.get(name)

    def agency_of(self, user: str) -> str | None:
        account = self.account(user)
        return account.agency if account is not None else None

    def users_of(self, agency: str) -> list[Account]:
        return list(self.fed.accounts.list(agency=agency))

    def require_agency(self, agency: Any) -> str:
        codes = [a.code for a in self.fed.loaded.config.agencies]
        if not isinstance(agency, str) or agency not in codes:
            raise GovernanceError(f"agency {agency!r} is not configured; use one of {codes}")
        return agency

    # -- sources and grants ------------------------------------------------------------------
    def owner_of(self, source: str) -> str:
        config = self.fed.loaded.config.sources.get(source)
        if config is None:
            known = ", ".join(self.fed.loaded.config.sources)
            raise GovernanceError(f"source {source!r} does not exist; sources are {known}")
        return config.owner

    def purposes(self) -> list[str]:
        return [p.code for p in self.fed.loaded.config.purposes]

    def grant(self, grant_id: str) -> GrantRecord:
        for record in self.fed.authorizer.grant_records():
            if record.id == grant_id:
                return record
        if isinstance(grant_id, str) and grant_id.startswith("config-"):
            raise GovernanceError(
                f"grant {grant_id} is written in civicfed.toml (policy as code); change the file "
                "to change it"
            )
        raise NotFound(f"there is no stored grant {grant_id!r}; `civicfed grants list` shows them")

    # -- the audit log -----------------------------------------------------------------------
    def record(
        self,
        action: str,
        actor: str,
        agency: str | None,
        target: Mapping[str, Any],
        details: Mapping[str, Any] | None = None,
    ) -> int:
        return record_governance(self.fed.audit, action, actor, agency, target, details)

    def log(self) -> AuditLog:
        if not isinstance(self.fed.audit, AuditLog):
            raise GovernanceError(
                "this federation writes to an in-memory audit sink; reading usage and evidence "
                "needs the hash-chained log in data_dir"
            )
        return self.fed.audit


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def has(principal: Principal, *roles: str) -> bool:
    return bool(set(roles) & set(principal.roles))
