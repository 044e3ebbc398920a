"""``civicfed users|applications|grants|reviews …``: the governance steps from a terminal.

Thin: each command opens the federation, calls ``api.governance.Governance`` as ``--as ACTOR``
and prints a table (or ``--json``). A refusal is one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from api.governance import Governance, GovernanceError, GovernanceForbidden, NotFound
from api.governance_tables import (
    ACCOUNTS,
    ACTIONS,
    APPLICATIONS,
    CAMPAIGNS,
    DUE,
    GRANTS,
    console,
    emit,
    emit_campaign,
)
from audit import AuditError
from engine import Federation
from engine.config import default_config_path
from engine.errors import ConfigError, FederationError
from policies import StoreUnavailable

users_app = typer.Typer(help="Accounts: list, create, suspend, depart.", no_args_is_help=True)
applications_app = typer.Typer(help="Applications for another agency's data.", no_args_is_help=True)
grants_app = typer.Typer(help="Stored grants: list, delegate, revoke.", no_args_is_help=True)
reviews_app = typer.Typer(help="Access reviews, dormancy and offboarding.", no_args_is_help=True)
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="civicfed.toml (default: $CIVICFED_CONFIG, ./civicfed.toml)"
    ),
]
ActorOpt = Annotated[str, typer.Option("--as", help="the user taking this step")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="why (recorded in the audit log)")]
ColumnsOpt = Annotated[
    str | None, typer.Option("--columns", help='"*", "a,b=mask:first:1" (bare = read) or JSON')
]
PurposeOpt = Annotated[list[str] | None, typer.Option("--purpose", help="a purpose code")]
FilterOpt = Annotated[str | None, typer.Option("--row-filter", help="SQL condition on rows")]
RequireOpt = Annotated[
    list[str] | None, typer.Option("--require", help="column the query must pin, as col[:N]")
]
MaxRowsOpt = Annotated[int | None, typer.Option("--max-rows", help="row cap")]
UntilOpt = Annotated[str | None, typer.Option("--valid-until", help="last day, YYYY-MM-DD")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _governance(config: Path | None) -> Iterator[Governance]:
    try:
        fed = Federation.open(config or default_config_path())
    except (ConfigError, FederationError) as exc:
        raise _fail(str(exc)) from None
    try:
        yield Governance(fed)
    except (GovernanceError, GovernanceForbidden, NotFound) as exc:
        raise _fail(str(exc)) from None
    except (FederationError, StoreUnavailable, AuditError) as exc:
        raise _fail(f"cannot complete the step: {exc}") from None
    finally:
        fed.close()


def _columns(text: str | None) -> Any:
    if text is None or text.strip() == "*":
        return None if text is None else "*"
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise _fail(f"--columns is not valid JSON: {exc}") from None
    pairs = (part.strip().partition("=") for part in text.split(",") if part.strip())
    return {name: mode or "read" for name, _, mode in pairs}


def _pins(values: list[str] | None) -> list[dict[str, Any]] | None:
    if not values:
        return None
    out = []
    for value in values:
        column, _, count = value.partition(":")
        if count and not count.isdigit():
            raise _fail(f"--require {value}: write column or column:N")
        out.append({"column": column, "max_values": int(count or 1)})
    return out


def _aggregate(value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    entity, _, size = value.partition(":")
    if not entity or not size.isdigit():
        raise _fail(f"--aggregate-only {value}: write entity:min_group, e.g. national_id:10")
    return {"entity": entity, "min_group": int(size)}


# -- users -----------------------------------------------------------------------------------
@users_app.command("list")
def users_list(
    actor: ActorOpt,
    agency: Annotated[str | None, typer.Option("--agency")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List accounts (a manager sees their agency's)."""
    with _governance(config) as gov:
        emit(gov.accounts(actor, agency), as_json, "accounts", ACCOUNTS)


@users_app.command("create")
def users_create(
    name: str,
    actor: ActorOpt,
    agency: Annotated[str, typer.Option("--agency")],
    role: Annotated[list[str] | None, typer.Option("--role", help="repeat for several")] = None,
    district: Annotated[str | None, typer.Option("--district")] = None,
    display_name: Annotated[str | None, typer.Option("--display-name")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an account (platform admin)."""
    with _governance(config) as gov:
        made = gov.create_account(actor, name, agency, role or ["user"], district, display_name)
        emit([made], as_json, "account created", ACCOUNTS)


@users_app.command("password")
def users_password(
    name: str,
    actor: ActorOpt,
    stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Set an account's password (platform admin); its tokens are revoked."""
    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    with _governance(config) as gov:
        gov.reset_password(actor, name, password)
    console.print(f"password set for {name}")


def _status(name: str, actor: str, status: str, reason: str, config: Path | None, js: bool) -> None:
    with _governance(config) as gov:
        changed = gov.set_account_status(actor, name, status, reason)
        emit([changed], js, f"account {status}", ACCOUNTS)


@users_app.command("suspend")
def users_suspend(
    name: str,
    actor: ActorOpt,
    reason: ReasonOpt,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Suspend an account (its tokens are revoked)."""
    _status(name, actor, "suspended", reason, config, as_json)


@users_app.command("reactivate")
def users_reactivate(
    name: str,
    actor: ActorOpt,
    reason: ReasonOpt,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a suspended account active again."""
    _status(name, actor, "active", reason, config, as_json)


@users_app.command("depart")
def users_depart(
    name: str,
    actor: ActorOpt,
    on: Annotated[str | None, typer.Option("--on", help="departure date, YYYY-MM-DD")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="remove the departure date")] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the day a user leaves; offboarding starts 10 working days before."""
    if (on is None) == (not clear):
        raise _fail("give --on YYYY-MM-DD or --clear")
    with _governance(config) as gov:
        changed = gov.set_departure(actor, name, on)
        emit([changed], as_json, "departure", ACCOUNTS)


# -- applications ----------------------------------------------------------------------------
@applications_app.command("list")
def applications_list(
    actor: ActorOpt,
    status: Annotated[str | None, typer.Option("--status")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the applications that concern you."""
    with _governance(config) as gov:
        emit(gov.applications(actor, status), as_json, "applications", APPLICATIONS)


@applications_app.command("apply")
def applications_apply(
    actor: ActorOpt,
    table: Annotated[str, typer.Option("--table", help='"source.table" or "source.*"')],
    columns: Annotated[str, typer.Option("--columns", help='"*", "a,b=condition" or JSON')],
    purpose: Annotated[list[str], typer.Option("--purpose", help="a purpose code")],
    document_ref: Annotated[str, typer.Option("--document-ref", help="official document no.")],
    justification: Annotated[str, typer.Option("--justification")],
    agency: Annotated[str | None, typer.Option("--agency", help="admins: on whose behalf")] = None,
    row_filter: FilterOpt = None,
    require: RequireOpt = None,
    aggregate_only: Annotated[
        str | None,
        typer.Option("--aggregate-only", help="aggregates only, as entity:min_group"),
    ] = None,
    max_rows: MaxRowsOpt = None,
    valid_until: UntilOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply to the owning agency for fields, conditions and purposes."""
    with _governance(config) as gov:
        filed = gov.apply(
            actor,
            table=table,
            columns=_columns(columns),
            purposes=purpose,
            document_ref=document_ref,
            justification=justification,
            agency=agency,
            row_filter=row_filter,
            require=_pins(require),
            aggregate_only=_aggregate(aggregate_only),
            max_rows=max_rows,
            valid_until=valid_until,
        )
        emit([filed], as_json, "application filed", APPLICATIONS)


@applications_app.command("approve")
def applications_approve(
    application_id: str,
    actor: ActorOpt,
    columns: ColumnsOpt = None,
    purpose: PurposeOpt = None,
    row_filter: FilterOpt = None,
    require: RequireOpt = None,
    max_rows: MaxRowsOpt = None,
    valid_until: UntilOpt = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve, optionally narrowing what was asked; the agency grant opens."""
    narrowed = {
        "columns": _columns(columns),
        "purposes": purpose or None,
        "row_filter": row_filter,
        "require": _pins(require),
        "max_rows": max_rows,
        "valid_until": valid_until,
    }
    with _governance(config) as gov:
        decided = gov.approve(
            actor, application_id, {k: v for k, v in narrowed.items() if v is not None}, note
        )
        emit([decided], as_json, "application approved", APPLICATIONS)


@applications_app.command("reject")
def applications_reject(
    application_id: str,
    actor: ActorOpt,
    reason: ReasonOpt,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject an application, saying why."""
    with _governance(config) as gov:
        decided = gov.reject(actor, application_id, reason)
        emit([decided], as_json, "application rejected", APPLICATIONS)


# -- grants ----------------------------------------------------------------------------------
@grants_app.command("list")
def grants_list(
    actor: ActorOpt,
    revoked: Annotated[bool, typer.Option("--revoked", help="include revoked grants")] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the stored grants that concern you (civicfed.toml grants are in the file)."""
    with _governance(config) as gov:
        emit(gov.grants(actor, revoked), as_json, "grants", GRANTS)


@grants_app.command("delegate")
def grants_delegate(
    parent: str,
    actor: ActorOpt,
    to: Annotated[str, typer.Option("--to", help="the user receiving the grant")],
    table: Annotated[str | None, typer.Option("--table")] = None,
    columns: ColumnsOpt = None,
    purpose: PurposeOpt = None,
    row_filter: FilterOpt = None,
    require: RequireOpt = None,
    max_rows: MaxRowsOpt = None,
    valid_until: UntilOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hand a user a subset of an agency grant."""
    with _governance(config) as gov:
        child = gov.delegate(
            actor,
            parent,
            to,
            table=table,
            columns=_columns(columns),
            purposes=purpose or None,
            row_filter=row_filter,
            require=_pins(require),
            max_rows=max_rows,
            valid_until=valid_until,
        )
        emit([child], as_json, "grant delegated", GRANTS)


@grants_app.command("revoke")
def grants_revoke(
    grant_id: str, actor: ActorOpt, reason: ReasonOpt, config: ConfigOpt = None
) -> None:
    """Revoke a stored grant and every grant delegated from it."""
    with _governance(config) as gov:
        revoked = gov.revoke(actor, grant_id, reason)
    console.print(f"revoked: {', '.join(revoked)}", highlight=False)


# -- reviews ---------------------------------------------------------------------------------
@reviews_app.command("start")
def reviews_start(
    actor: ActorOpt,
    agency: Annotated[str, typer.Option("--agency")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a review campaign: one item per user and grant, with last use."""
    with _governance(config) as gov:
        campaign = gov.start_review(actor, agency)
        emit_campaign(campaign, as_json)


@reviews_app.command("list")
def reviews_list(
    actor: ActorOpt,
    campaign: Annotated[str | None, typer.Option("--campaign", help="show its items")] = None,
    agency: Annotated[str | None, typer.Option("--agency")] = None,
    due: Annotated[bool, typer.Option("--due", help="agencies due for a review")] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List campaigns, one campaign's items (--campaign) or the agencies due (--due)."""
    with _governance(config) as gov:
        if campaign is not None:
            found = gov.campaign(campaign)
            gov.campaigns(actor, found.agency)  # refuses those who may not see its campaigns
            emit_campaign(found, as_json)
        elif due:
            gov.campaigns(actor)  # the same people who see campaigns see what is due
            emit(gov.reviews_due(), as_json, "reviews due", DUE)
        else:
            emit(gov.campaigns(actor, agency), as_json, "review campaigns", CAMPAIGNS)


@reviews_app.command("decide")
def reviews_decide(
    campaign: str,
    item: str,
    decision: Annotated[str, typer.Argument(help="keep or revoke")],
    actor: ActorOpt,
    note: Annotated[str | None, typer.Option("--note")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Keep or revoke one item of a campaign."""
    with _governance(config) as gov:
        gov.decide_review(actor, campaign, item, decision, note)
        emit_campaign(gov.campaign(campaign), as_json)


@reviews_app.command("sweep")
def reviews_sweep(actor: ActorOpt, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Revoke grants unused for 180 days and offboard leavers due (platform admin)."""
    with _governance(config) as gov:
        actions = gov.sweep(actor)
        emit(actions, as_json, "sweep", ACTIONS)
