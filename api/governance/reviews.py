"""Access reviews: every six months an agency's manager lists each user's rights with their
last use, and keeps or revokes each; the campaign closes when every item is decided."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa

from api.governance.calendar_rules import add_months
from api.governance.context import ADMIN, MANAGER, GovernanceContext, has, new_id
from api.governance.delegation import revoke_stored
from api.governance.errors import GovernanceError, GovernanceForbidden, NotFound
from api.governance.records import (
    Campaign,
    ReviewItem,
    campaign_from_row,
    campaigns_table,
    item_from_row,
    review_items_table,
)
from api.governance.views import ReviewDue
from audit.usage import last_use
from policies import Grant
from policies.column_rules import describe
from policies.store import as_utc

DECISIONS = ("keep", "revoke")
REVIEW_INTERVAL_MONTHS = 6


def start(ctx: GovernanceContext, actor: str, agency: str) -> Campaign:
    """Open a campaign with one item per (user of ``agency``, grant the user holds)."""
    principal = ctx.actor(actor)
    agency = ctx.require_agency(agency)
    _may_review(principal.roles, principal.agency, agency)
    with ctx.engine.connect() as conn:
        still_open = conn.execute(
            sa.select(campaigns_table.c.id).where(
                campaigns_table.c.agency == agency, campaigns_table.c.closed_at.is_(None)
            )
        ).scalar()
    if still_open is not None:
        raise GovernanceError(f"campaign {still_open} of {agency} is still open; decide it first")
    campaign_id = new_id("rc")
    items = _items(ctx, agency, campaign_id)
    now = ctx.now()
    with ctx.engine.begin() as conn:
        conn.execute(
            campaigns_table.insert().values(
                id=campaign_id,
                agency=agency,
                started_by=actor,
                started_at=now,
                closed_at=None if items else now,
            )
        )
        if items:
            conn.execute(review_items_table.insert(), items)
        ctx.record(
            "review_start",
            actor,
            agency,
            {"campaign": campaign_id},
            {"items": len(items), "users": sorted({i["user_name"] for i in items})},
        )
    return get(ctx, campaign_id)


def decide(
    ctx: GovernanceContext,
    actor: str,
    campaign_id: str,
    item_id: str,
    decision: str,
    note: str | None = None,
) -> ReviewItem:
    """Keep or revoke one item; the last decision closes the campaign."""
    principal = ctx.actor(actor)
    campaign = get(ctx, campaign_id)
    _may_review(principal.roles, principal.agency, campaign.agency)
    if not campaign.open:
        raise GovernanceError(f"campaign {campaign_id} is closed; start a new one")
    item = next((i for i in campaign.items if i.id == item_id), None)
    if item is None:
        raise NotFound(f"campaign {campaign_id} has no item {item_id!r}")
    if item.decision is not None:
        raise GovernanceError(f"item {item_id} was already decided ({item.decision})")
    if decision not in DECISIONS:
        raise GovernanceError(f"decision: use {' or '.join(DECISIONS)}")
    if decision == "revoke" and not item.revocable:
        raise GovernanceError(
            f"grant {item.grant_id} is written in civicfed.toml (policy as code): remove it "
            "there, and decide keep here"
        )
    revoked: tuple[str, ...] = ()
    if decision == "revoke" and ctx.grant(item.grant_id).active:
        reason = f"access review {campaign_id}" + (f": {note}" if note else "")
        revoked = revoke_stored(ctx, actor, item.grant_id, reason)
    now = ctx.now()
    with ctx.engine.begin() as conn:
        done = conn.execute(
            review_items_table.update()
            .where(review_items_table.c.id == item_id, review_items_table.c.decision.is_(None))
            .values(decision=decision, decided_by=actor, decided_at=now, note=note)
        )
        if done.rowcount != 1:
            raise GovernanceError(f"item {item_id} was decided meanwhile")
        ctx.record(
            "review_decision",
            actor,
            campaign.agency,
            {"campaign": campaign_id, "item": item_id, "grant": item.grant_id, "user": item.user},
            {"decision": decision, "note": note, "revoked": list(revoked)},
        )
        undecided = conn.execute(
            sa.select(sa.func.count())
            .select_from(review_items_table)
            .where(
                review_items_table.c.campaign_id == campaign_id,
                review_items_table.c.decision.is_(None),
            )
        ).scalar_one()
        if undecided == 0:
            conn.execute(
                campaigns_table.update()
                .where(campaigns_table.c.id == campaign_id)
                .values(closed_at=now)
            )
            ctx.record("review_close", actor, campaign.agency, {"campaign": campaign_id})
    return next(i for i in get(ctx, campaign_id).items if i.id == item_id)


def due(ctx: GovernanceContext, today: dt.date | dt.datetime | None = None) -> list[ReviewDue]:
    """Agencies whose last campaign started six months ago or more, or never."""
    day = ctx.today(today)
    with ctx.engine.connect() as conn:
        latest = dict(
            conn.execute(
                sa.select(
                    campaigns_table.c.agency, sa.func.max(campaigns_table.c.started_at)
                ).group_by(campaigns_table.c.agency)
            ).all()
        )
    out = []
    for agency in (a.code for a in ctx.fed.loaded.config.agencies):
        last = as_utc(latest.get(agency))
        if last is None or add_months(last.date(), REVIEW_INTERVAL_MONTHS) <= day:
            out.append(ReviewDue(agency, last))
    return out


def get(ctx: GovernanceContext, campaign_id: str) -> Campaign:
    with ctx.engine.connect() as conn:
        row = (
            conn.execute(sa.select(campaigns_table).where(campaigns_table.c.id == campaign_id))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"there is no review campaign {campaign_id!r}")
        items = conn.execute(
            sa.select(review_items_table)
            .where(review_items_table.c.campaign_id == campaign_id)
            .order_by(review_items_table.c.position)
        ).mappings()
        return campaign_from_row(row, tuple(item_from_row(i) for i in items))


def listing(ctx: GovernanceContext, actor: str, agency: str | None = None) -> list[Campaign]:
    """Campaigns (without their items), newest first: a manager sees their agency's."""
    principal = ctx.actor(actor)
    if not has(principal, ADMIN):
        if not has(principal, MANAGER):
            raise GovernanceForbidden("review campaigns are seen by agency managers and admins")
        if agency not in (None, principal.agency):
            raise GovernanceForbidden(f"an agency manager sees only {principal.agency}'s reviews")
        agency = principal.agency
    query = sa.select(campaigns_table).order_by(campaigns_table.c.started_at.desc())
    if agency is not None:
        query = query.where(campaigns_table.c.agency == agency)
    with ctx.engine.connect() as conn:
        return [campaign_from_row(r) for r in conn.execute(query).mappings()]


def _may_review(roles: tuple[str, ...], own_agency: str, agency: str) -> None:
    if ADMIN in roles or (MANAGER in roles and own_agency == agency):
        return
    raise GovernanceForbidden(f"only an agency_manager of {agency} or a platform_admin reviews it")


def _items(ctx: GovernanceContext, agency: str, campaign_id: str) -> list[dict[str, Any]]:
    """One row per (user, grant held by the user): stored grants can be revoked here, grants
    from civicfed.toml only kept (they are changed in the file)."""
    used = last_use(ctx.log())
    stored = {r.id: r for r in ctx.fed.authorizer.grant_records(include_revoked=False)}
    rows: list[dict[str, Any]] = []
    for account in ctx.users_of(agency):
        for grant in ctx.fed.authorizer.grants_for(account.principal()):
            if grant.user != account.name:
                continue  # the agency's own grants are reviewed with the owner, not per user
            record = stored.get(grant.id)
            rows.append(
                {
                    "id": new_id("ri"),
                    "campaign_id": campaign_id,
                    "position": len(rows) + 1,
                    "user_name": account.name,
                    "grant_id": grant.id,
                    "table_pattern": grant.table,
                    "columns": json.dumps(
                        record.spec["columns"] if record else _columns(grant),
                        ensure_ascii=False,
                    ),
                    "last_used_at": used.get((account.name, grant.id)),
                    "revocable": record is not None,
                }
            )
    return rows


def _columns(grant: Grant) -> Any:
    if grant.columns == "*":
        return "*"
    return {column: describe(rule) for column, rule in grant.columns.items()}
