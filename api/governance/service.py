"""``Governance``: the city's data-sharing procedure as one service over a federation.

Each method names its actor (a user name), checks that the actor's role and agency may take the
step, writes the metadata database in one transaction and appends an audit event. Refusals are
``GovernanceError`` (bad input), ``GovernanceForbidden`` (wrong role or agency) and ``NotFound``.
No HTTP here: the API and the CLI call these methods and format what comes back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from api.governance import accounts, applications, delegation, lifecycle, reviews
from api.governance import evidence as oversight
from api.governance.context import ADMIN, Clock, GovernanceContext, has, utc_now
from api.governance.errors import GovernanceForbidden
from api.governance.records import Application, Campaign, ReviewItem
from api.governance.views import (
    AccountView,
    EvidenceAnswer,
    EvidenceRequest,
    GrantView,
    LifecycleAction,
    ReviewDue,
    SourceUsage,
)
from engine import Federation

Day = dt.date | dt.datetime | None


class Governance:
    """Applications, delegation, revocation, reviews, lifecycle, evidence and accounts."""

    def __init__(self, fed: Federation, clock: Clock = utc_now) -> None:
        self._ctx = GovernanceContext(fed, clock)

    # -- applications ------------------------------------------------------------------------
    def apply(
        self,
        actor: str,
        *,
        table: str,
        columns: Any,
        purposes: list[str],
        document_ref: str,
        justification: str,
        agency: str | None = None,
        row_filter: str | None = None,
        require: Sequence[Mapping[str, Any]] | None = None,
        aggregate_only: Mapping[str, Any] | None = None,
        max_rows: int | None = None,
        valid_until: str | dt.date | None = None,
    ) -> Application:
        return applications.apply(
            self._ctx,
            actor,
            table=table,
            columns=columns,
            purposes=purposes,
            document_ref=document_ref,
            justification=justification,
            agency=agency,
            row_filter=row_filter,
            require=require,
            aggregate_only=aggregate_only,
            max_rows=max_rows,
            valid_until=valid_until,
        )

    def approve(
        self,
        actor: str,
        application_id: str,
        narrowed: Mapping[str, Any] | None = None,
        note: str | None = None,
    ) -> Application:
        return applications.approve(self._ctx, actor, application_id, narrowed, note)

    def reject(self, actor: str, application_id: str, reason: str) -> Application:
        return applications.reject(self._ctx, actor, application_id, reason)

    def application(self, application_id: str) -> Application:
        return applications.get(self._ctx, application_id)

    def applications(self, actor: str, status: str | None = None) -> list[Application]:
        return applications.listing(self._ctx, actor, status)

    # -- grants ------------------------------------------------------------------------------
    def delegate(
        self,
        actor: str,
        parent_id: str,
        user: str,
        *,
        table: str | None = None,
        columns: Any = None,
        purposes: list[str] | None = None,
        row_filter: str | None = None,
        require: Sequence[Mapping[str, Any]] | None = None,
        max_rows: int | None = None,
        valid_until: str | dt.date | None = None,
    ) -> GrantView:
        return delegation.delegate(
            self._ctx,
            actor,
            parent_id,
            user,
            table=table,
            columns=columns,
            purposes=purposes,
            row_filter=row_filter,
            require=require,
            max_rows=max_rows,
            valid_until=valid_until,
        )

    def revoke(self, actor: str, grant_id: str, reason: str) -> tuple[str, ...]:
        return delegation.revoke(self._ctx, actor, grant_id, reason)

    def grants(self, actor: str, include_revoked: bool = False) -> list[GrantView]:
        return delegation.listing(self._ctx, actor, include_revoked)

    # -- access reviews ----------------------------------------------------------------------
    def start_review(self, actor: str, agency: str) -> Campaign:
        return reviews.start(self._ctx, actor, agency)

    def decide_review(
        self, actor: str, campaign_id: str, item_id: str, decision: str, note: str | None = None
    ) -> ReviewItem:
        return reviews.decide(self._ctx, actor, campaign_id, item_id, decision, note)

    def reviews_due(self, today: Day = None) -> list[ReviewDue]:
        return reviews.due(self._ctx, today)

    def campaigns(self, actor: str, agency: str | None = None) -> list[Campaign]:
        return reviews.listing(self._ctx, actor, agency)

    def campaign(self, campaign_id: str) -> Campaign:
        return reviews.get(self._ctx, campaign_id)

    # -- lifecycle ---------------------------------------------------------------------------
    def suspend_dormant(self, today: Day = None) -> list[LifecycleAction]:
        return lifecycle.suspend_dormant(self._ctx, today)

    def set_departure(self, actor: str, user: str, departure: dt.date | str | None) -> AccountView:
        return lifecycle.set_departure(self._ctx, actor, user, departure)

    def offboard_due(self, today: Day = None) -> list[LifecycleAction]:
        return lifecycle.offboard_due(self._ctx, today)

    def sweep(self, actor: str, today: Day = None) -> list[LifecycleAction]:
        """Run dormancy and offboarding now, on a platform admin's request."""
        if not has(self._ctx.actor(actor), ADMIN):
            raise GovernanceForbidden("only a platform_admin runs the sweep by hand")
        return self.suspend_dormant(today) + self.offboard_due(today)

    # -- owners' oversight -------------------------------------------------------------------
    def source_usage(
        self, actor: str, source: str, start: dt.datetime, end: dt.datetime
    ) -> list[SourceUsage]:
        return oversight.source_usage(self._ctx, actor, source, start, end)

    def request_evidence(self, actor: str, query_id: str, what: str) -> EvidenceRequest:
        return oversight.request(self._ctx, actor, query_id, what)

    def answer_evidence(self, actor: str, query_id: str, evidence: str) -> EvidenceAnswer:
        return oversight.answer(self._ctx, actor, query_id, evidence)

    def evidence_requests(self, agency: str) -> list[EvidenceRequest]:
        return oversight.open_requests(self._ctx, agency)

    # -- accounts ----------------------------------------------------------------------------
    def create_account(
        self,
        actor: str,
        name: str,
        agency: str,
        roles: Sequence[str],
        district: str | None = None,
        display_name: str | None = None,
    ) -> AccountView:
        return accounts.create(self._ctx, actor, name, agency, roles, district, display_name)

    def reset_password(self, actor: str, name: str, password: str) -> AccountView:
        return accounts.reset_password(self._ctx, actor, name, password)

    def set_account_status(self, actor: str, name: str, status: str, reason: str) -> AccountView:
        return accounts.set_status(self._ctx, actor, name, status, reason)

    def accounts(self, actor: str, agency: str | None = None) -> list[AccountView]:
        return accounts.listing(self._ctx, actor, agency)
