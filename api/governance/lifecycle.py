"""Rights that lapse on their own: grants unused for 180 days are revoked (dormancy), and a
leaver's grants and account are suspended 10 working days before the departure date."""

from __future__ import annotations

import datetime as dt

from api.governance.calendar_rules import parse_date, working_days_before
from api.governance.context import ADMIN, MANAGER, SYSTEM, GovernanceContext, has
from api.governance.delegation import revoke_stored
from api.governance.errors import GovernanceError, GovernanceForbidden, NotFound
from api.governance.views import AccountView, LifecycleAction
from audit.usage import last_use
from policies.accounts import AccountError
from policies.store import as_utc

DORMANT_AFTER = dt.timedelta(days=180)
OFFBOARD_WORKING_DAYS = 10


def suspend_dormant(
    ctx: GovernanceContext, today: dt.date | dt.datetime | None = None
) -> list[LifecycleAction]:
    """Revoke every active stored user grant with no successful query in the last 180 days
    (a grant older than that and never used counts as unused)."""
    day = ctx.today(today)
    cutoff = day - DORMANT_AFTER
    used = last_use(ctx.log())
    actions = []
    for record in ctx.fed.authorizer.grant_records(include_revoked=False):
        user = record.spec.get("user")
        if user is None:
            continue  # agency grants are the owners' to review
        last = used.get((user, record.id))
        created = as_utc(record.created_at)
        assert created is not None
        if last is not None:
            if last.date() >= cutoff:
                continue
            reason = f"unused since {last.date().isoformat()} (no query in 180 days)"
        else:
            if created.date() >= cutoff:
                continue
            reason = f"unused since {created.date().isoformat()}, when it was granted"
        revoked = revoke_stored(ctx, SYSTEM, record.id, reason)
        ctx.record(
            "suspend",
            SYSTEM,
            ctx.agency_of(user),
            {"grant": record.id, "user": user, "table": record.spec.get("table")},
            {"reason": reason, "revoked": list(revoked)},
        )
        actions.append(LifecycleAction("suspend", user, revoked, reason))
    return actions


def set_departure(
    ctx: GovernanceContext, actor: str, user: str, departure: dt.date | str | None
) -> AccountView:
    """Record the day ``user`` leaves (None clears it): the manager of the user's agency or
    a platform admin; the day must lie in the future."""
    principal = ctx.actor(actor)
    account = ctx.account(user)
    if account is None:
        raise NotFound(f"there is no account {user!r}")
    if not (
        has(principal, ADMIN) or (has(principal, MANAGER) and principal.agency == account.agency)
    ):
        raise GovernanceForbidden(
            f"only an agency_manager of {account.agency} or a platform_admin sets {user}'s "
            "departure"
        )
    day = None if departure is None else parse_date(departure, "departure")
    if day is not None and day <= ctx.today():
        raise GovernanceError(
            "departure: must be a future date; to stop the account now, suspend it"
        )
    try:
        updated = ctx.fed.accounts.set_departure(user, day, by=actor)
    except AccountError as exc:
        raise GovernanceError(str(exc)) from None
    offboard_from = None if day is None else working_days_before(day, OFFBOARD_WORKING_DAYS)
    ctx.record(
        "departure_set",
        actor,
        account.agency,
        {"user": user},
        {
            "departure": None if day is None else day.isoformat(),
            "offboard_from": None if offboard_from is None else offboard_from.isoformat(),
        },
    )
    return AccountView.of(updated)


def offboard_due(
    ctx: GovernanceContext, today: dt.date | dt.datetime | None = None
) -> list[LifecycleAction]:
    """For each leaver within 10 working days of the departure date: revoke their stored
    grants and suspend the account. Running it again changes nothing."""
    day = ctx.today(today)
    active = ctx.fed.authorizer.grant_records(include_revoked=False)
    actions = []
    for account in ctx.fed.accounts.list():
        departure = account.departure_date
        if departure is None or day < working_days_before(departure, OFFBOARD_WORKING_DAYS):
            continue
        held = [r.id for r in active if r.spec.get("user") == account.name]
        if not held and account.status != "active":
            continue
        reason = f"offboarding: leaves on {departure.isoformat()}"
        revoked: list[str] = []
        for grant_id in held:
            revoked += revoke_stored(ctx, SYSTEM, grant_id, reason)
        if account.status == "active":
            ctx.fed.accounts.set_status(account.name, "suspended", by=SYSTEM, reason=reason)
        ctx.record(
            "offboard",
            SYSTEM,
            account.agency,
            {"user": account.name},
            {"departure": departure.isoformat(), "revoked": revoked, "reason": reason},
        )
        actions.append(LifecycleAction("offboard", account.name, tuple(revoked), reason))
    return actions
