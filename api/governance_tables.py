"""Governance records for the terminal: one layout per kind of record, printed as a rich table
or as JSON (``to_dict()``), for ``api.governance_cli``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.governance import (
    AccountView,
    Application,
    Campaign,
    GrantView,
    LifecycleAction,
    ReviewDue,
    ReviewItem,
)
from api.governance.records import Record

R = TypeVar("R", bound=Record)
_IDS = {"id", "item", "grant", "parent", "name"}  # kept whole, to copy into the next command
console = Console()


@dataclass(frozen=True)
class Layout(Generic[R]):
    """The columns a kind of record shows, and how one record fills them."""

    head: str
    row: Callable[[R], Sequence[object]]


def emit(records: Sequence[R], as_json: bool, title: str, layout: Layout[R]) -> None:
    """Print ``records`` as a table titled ``title``, or as a JSON list."""
    if as_json:
        sys.stdout.write(json.dumps([r.to_dict() for r in records], ensure_ascii=False) + "\n")
        return
    view = Table(title=title, header_style="bold cyan")
    for name in layout.head.split(","):
        view.add_column(name, overflow="fold", no_wrap=name in _IDS)
    for record in records:
        view.add_row(*(escape("" if v is None else str(v)) for v in layout.row(record)))
    console.print(view)


def emit_campaign(campaign: Campaign, as_json: bool) -> None:
    """Print a campaign's items (JSON: the campaign with its items)."""
    if as_json:
        sys.stdout.write(json.dumps(campaign.to_dict(), ensure_ascii=False) + "\n")
        return
    state = f"closed {campaign.closed_at:%Y-%m-%d}" if campaign.closed_at else "open"
    title = f"review {campaign.id} of {campaign.agency} ({state})"
    emit(campaign.items, False, title, ITEMS)


def columns_text(columns: Any) -> str:
    """``{"a": "read", "b": "mask:hash"}`` as ``a, b:mask:hash``."""
    if not isinstance(columns, dict):
        return str(columns)
    return ", ".join(c if m == "read" else f"{c}:{m}" for c, m in columns.items())


def _day(value: Any) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def _application(a: Application) -> Sequence[object]:
    shown = a.approved_spec or a.spec
    return (a.id, a.agency, a.table, columns_text(shown["columns"]), a.status, a.grant_id)


def _grant(g: GrantView) -> Sequence[object]:
    holder = g.user or f"agency {g.agency}"
    state = "active" if g.active else f"revoked ({g.revoke_reason})"
    purposes = ", ".join(g.spec.get("purposes", []))
    return (g.id, holder, g.table, columns_text(g.spec["columns"]), purposes, g.parent, state)


def _account(a: AccountView) -> Sequence[object]:
    return (a.name, a.agency, ", ".join(a.roles), a.status, a.status_reason, a.departure_date)


def _item(i: ReviewItem) -> Sequence[object]:
    revocable = "yes" if i.revocable else "no (civicfed.toml)"
    last = _day(i.last_used_at) or "never"
    return (i.id, i.user, i.grant_id, i.table, columns_text(i.columns), last, revocable, i.decision)


def _campaign(c: Campaign) -> Sequence[object]:
    return (c.id, c.agency, c.started_by, _day(c.started_at), _day(c.closed_at) or "open")


APPLICATIONS: Layout[Application] = Layout("id,agency,table,columns,status,grant", _application)
GRANTS: Layout[GrantView] = Layout("id,holder,table,columns,purposes,parent,state", _grant)
ACCOUNTS: Layout[AccountView] = Layout("name,agency,roles,status,reason,departure", _account)
ITEMS: Layout[ReviewItem] = Layout(
    "item,user,grant,table,columns,last used,revocable,decision", _item
)
CAMPAIGNS: Layout[Campaign] = Layout("id,agency,started by,started,closed", _campaign)
DUE: Layout[ReviewDue] = Layout(
    "agency,last started", lambda d: (d.agency, _day(d.last_started) or "never")
)
ACTIONS: Layout[LifecycleAction] = Layout(
    "action,user,grants,reason", lambda a: (a.action, a.user, ", ".join(a.grants), a.reason)
)
