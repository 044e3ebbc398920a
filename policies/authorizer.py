"""The one place that decides access (deny by default).

``Authorizer.decide(principal, table, purpose)`` finds the grants that name the table for the
principal (their own and their agency's, from ``civicfed.toml`` and from the metadata store),
lets ``policies.combination`` pick the governing one, and ``policies.resolution`` apply it with
Casbin deciding each column. Decisions are cached per (principal, table, purpose, day, policy
version); ``version`` changes whenever a grant or denial does, here or in another process
sharing the metadata database (noticed within ``refresh_s`` seconds).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from policies.casbin_gate import CasbinGate
from policies.combination import governing
from policies.decision import AccessDecision, Principal, TableRef
from policies.denials import Denial
from policies.grants import Grant
from policies.resolution import denied, resolve
from policies.store import GrantRecord, GrantStore, StoreUnavailable

_NO_GRANT = "no grant names this table"


class Authorizer:
    """Decides, for a principal, a table and a purpose, what the principal may do."""

    def __init__(
        self,
        grants: Sequence[Grant] = (),
        *,
        store: GrantStore | None = None,
        members: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None,
        refresh_s: float = 1.0,
        cache_size: int = 4096,
    ) -> None:
        """``grants`` are the configured ones; ``store`` holds those written at run time (an
        in-memory store when None); ``members`` maps user names to their agency codes (or is a
        function returning that map, read again whenever the stored rules change, so accounts
        created at run time join their agency)."""
        self._config = tuple(grants)
        self._store = store if store is not None else GrantStore.in_memory()
        self._members = members if callable(members) else dict(members or {})
        self._gate = CasbinGate(self._store.engine)
        self._refresh_s = refresh_s
        self._cache_size = cache_size
        self._lock = threading.RLock()
        self._cache: OrderedDict[Hashable, AccessDecision] = OrderedDict()
        self._by_holder: dict[str, list[Grant]] = {}
        self._version = 0
        self._store_version = -1
        self._checked = 0.0
        self._stale = False  # the last refresh could not reach the store
        self._reload()

    # -- the decision ------------------------------------------------------------------------
    @property
    def version(self) -> int:
        """Changes whenever grants or denials change (it keys the planner's plan cache), and
        at midnight, when validity windows open and close without any grant changing."""
        self._refresh_if_due()
        return (self._version << 22) | dt.date.today().toordinal()

    def decide(
        self, principal: Principal, table: TableRef, purpose: str, today: dt.date | None = None
    ) -> AccessDecision:
        """Return the decision; ``allowed`` is False unless a grant allows this use."""
        self._refresh_if_due()
        day = today or dt.date.today()
        if self._stale:
            return self._unavailable(principal, table)
        key = (
            principal.name,
            principal.agency,
            tuple(sorted(principal.attributes.items())),
            table,
            purpose,
            day,
            self._version,
        )
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            holders = self._by_holder
        decision = self._decide(principal, table, purpose, day, holders)
        with self._lock:
            self._cache[key] = decision
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return decision

    def grants_for(self, principal: Principal) -> list[Grant]:
        """The effective grants the principal holds, directly or through their agency."""
        self._refresh_if_due()
        with self._lock:
            return [
                *self._by_holder.get(f"user:{principal.name}", ()),
                *self._by_holder.get(f"agency:{principal.agency}", ()),
            ]

    def _decide(
        self,
        principal: Principal,
        table: TableRef,
        purpose: str,
        day: dt.date,
        holders: Mapping[str, list[Grant]],
    ) -> AccessDecision:
        candidates = [
            g
            for holder in (f"user:{principal.name}", f"agency:{principal.agency}")
            for g in holders.get(holder, ())
            if g.covers(table)
        ]
        if not candidates:
            return denied(table, _NO_GRANT, visible=False)
        chosen = governing(candidates, purpose, day)
        if chosen.grant is None:
            return denied(table, chosen.reason)
        check = self._gate.for_table(principal, table, [g.id for g in chosen.tier])
        return resolve(chosen.grant, principal, table, check)

    # -- changing grants (the governance API's entry points) ---------------------------------
    def create_grant(
        self, spec: Mapping[str, Any], created_by: str, parent: str | None = None
    ) -> GrantRecord:
        """Store a grant (a child of ``parent`` when an agency manager delegates)."""
        record = self._store.create_grant(spec, created_by, parent)
        self._reload()
        return record

    def revoke_grant(self, grant_id: str, revoked_by: str, reason: str) -> tuple[str, ...]:
        """Revoke a stored grant and the grants delegated from it; return their ids."""
        revoked = self._store.revoke_grant(grant_id, revoked_by, reason)
        self._reload()
        return revoked

    def create_denial(
        self,
        target: str,
        action: str,
        created_by: str,
        reason: str,
        *,
        user: str | None = None,
        agency: str | None = None,
    ) -> Denial:
        """Forbid ``action`` on ``target`` (``source.table.column``) whatever grants say."""
        denial = self._store.create_denial(
            target, action, created_by, reason, user=user, agency=agency
        )
        self._reload()
        return denial

    def revoke_denial(self, denial_id: str, revoked_by: str) -> None:
        self._store.revoke_denial(denial_id, revoked_by)
        self._reload()

    def grant_records(self, include_revoked: bool = True) -> list[GrantRecord]:
        """Stored grants with who created or revoked them and when."""
        return self._store.records(include_revoked)

    def close(self) -> None:
        self._store.close()

    # -- keeping up with the store -----------------------------------------------------------
    def _refresh_if_due(self) -> None:
        now = time.monotonic()
        if now - self._checked < self._refresh_s:
            return
        self._checked = now
        try:
            if self._store.version() != self._store_version:
                self._reload()
            self._stale = False
        except StoreUnavailable:
            # A revocation may be waiting in the database: refuse rather than decide on rules
            # that may be out of date, and try again at the next refresh.
            self._stale = True

    def _unavailable(self, principal: Principal, table: TableRef) -> AccessDecision:
        with self._lock:
            holders = self._by_holder
        known = any(
            g.covers(table)
            for holder in (f"user:{principal.name}", f"agency:{principal.agency}")
            for g in holders.get(holder, ())
        )
        return denied(
            table,
            "access rules cannot be refreshed from the metadata database; try again shortly",
            visible=known,
        )

    def _reload(self) -> None:
        with self._lock:
            store_version = self._store.version()
            grants = [*self._config, *self._store.active_grants()]
            denials = self._store.active_denials()
            members = self._members() if callable(self._members) else self._members
            self._gate.sync(grants, denials, members)
            by_holder: dict[str, list[Grant]] = defaultdict(list)
            for grant in grants:
                # An agency's grant is what its owner opened to the agency: its members use it
                # only through the subsets their manager hands them (child grants, which are
                # the user's), never directly.
                if grant.agency is None:
                    by_holder[grant.subject].append(grant)
            self._by_holder = dict(by_holder)
            self._store_version = store_version
            self._checked = time.monotonic()
            self._version += 1
            self._cache.clear()
