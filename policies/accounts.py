"""User accounts for the HTTP API: passwords, lockout, bearer tokens, status and departure.

Accounts live in the metadata database beside the grants (the engine ``GrantStore`` uses).
Passwords are argon2id hashes (``policies.passwords``) and tokens are kept only as their SHA-256,
so a copy of the database signs no one in. A change to who may query (an account added, its
agency or roles, its status or departure) bumps ``policy_version`` in the same transaction, which
is how other processes notice it. Every write is one transaction.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher

from policies.decision import Principal
from policies.passwords import Passwords, history_table
from policies.store import _bump, _engine, _guarded, as_utc, version_table

ACCOUNT_STATUSES = ("active", "suspended", "disabled")
ROLES = ("platform_admin", "data_owner", "agency_manager", "user", "analyst", "auditor")
# The same shapes civicfed.toml accepts for [[users]] name and [[agencies]] code.
_USER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,127}")
_AGENCY_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")

_meta = sa.MetaData()
accounts_table = sa.Table(
    "civicfed_accounts",
    _meta,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("agency", sa.String(64), nullable=False, index=True),
    sa.Column("roles", sa.Text, nullable=False),  # a JSON list
    sa.Column("district", sa.String(64), nullable=True),
    sa.Column("display_name", sa.String(255), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("status_reason", sa.Text, nullable=True),
    sa.Column("status_changed_by", sa.String(128), nullable=True),
    sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("departure_date", sa.Date, nullable=True),
    sa.Column("departure_set_by", sa.String(128), nullable=True),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("failed_attempts", sa.Integer, nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
tokens_table = sa.Table(
    "civicfed_tokens",
    _meta,
    sa.Column("token_sha256", sa.String(64), primary_key=True),
    sa.Column("user_name", sa.ForeignKey("civicfed_accounts.name"), nullable=False, index=True),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)


@dataclasses.dataclass(frozen=True)
class AccountPolicy:
    """The account procedure's numbers."""

    password_max_age_days: int = 90  # the procedure: change every three months
    password_history: int = 5  # the last N passwords cannot be reused (the current one included)
    password_min_length: int = 12
    lockout_threshold: int = 5  # consecutive failures before lockout
    lockout_minutes: int = 15
    token_ttl_minutes: int = 480  # bearer token lifetime


@dataclasses.dataclass(frozen=True)
class Account:
    """One account as stored (never its password hash)."""

    name: str
    agency: str
    roles: tuple[str, ...]
    district: str | None
    display_name: str | None
    status: str  # one of ACCOUNT_STATUSES
    status_reason: str | None
    departure_date: dt.date | None
    password_changed_at: dt.datetime | None  # None: no password set yet (cannot sign in)
    failed_attempts: int
    locked_until: dt.datetime | None
    created_by: str
    created_at: dt.datetime

    def can_query(self, today: dt.date) -> bool:
        """Whether the account is active and its holder has not left by ``today``."""
        departed = self.departure_date is not None and today >= self.departure_date
        return self.status == "active" and not departed

    def principal(self) -> Principal:
        """The principal policies decide for, shaped as ``Catalog.principal`` builds it."""
        attributes = {"agency": self.agency, "name": self.name}
        if self.district:
            attributes["district"] = self.district
        return Principal(self.name, self.agency, self.roles, attributes)


class AccountError(ValueError):
    """Bad input to the account store; the message names the problem and the fix."""


_REFUSALS = {
    "invalid": "the user name or password is not correct",
    "locked": "too many failed sign-ins: the account is locked for a while; try again later",
    "inactive": "this account is not active; ask your agency's account administrator",
    "expired_token": "the session has expired; sign in again",
    "password_expired": "the password has expired; change it to sign in",
}


class AuthenticationFailed(Exception):
    """A sign-in or token refused; ``reason`` says why, and the message is safe to show anyone."""

    def __init__(self, reason: str) -> None:
        super().__init__(_REFUSALS[reason])
        self.reason = reason


class PasswordExpired(AuthenticationFailed):
    """The password was right but is older than the policy allows: the client must change it."""

    def __init__(self) -> None:
        super().__init__("password_expired")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AccountStore:
    """Accounts in the metadata database."""

    @_guarded
    def __init__(
        self,
        engine: sa.Engine,
        policy: AccountPolicy = AccountPolicy(),
        clock: Callable[[], dt.datetime] = _utc_now,
        *,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.engine = engine
        self.policy = policy
        self._clock = clock
        self._passwords = Passwords(
            hasher, min_length=policy.password_min_length, history=policy.password_history
        )
        version_table.create(engine, checkfirst=True)
        history_table.create(engine, checkfirst=True)
        _meta.create_all(engine)
        with engine.begin() as conn:
            if conn.execute(sa.select(version_table.c.version)).first() is None:
                conn.execute(version_table.insert().values(id=1, version=1))

    @classmethod
    def in_memory(
        cls,
        policy: AccountPolicy = AccountPolicy(),
        clock: Callable[[], dt.datetime] = _utc_now,
        *,
        hasher: PasswordHasher | None = None,
    ) -> AccountStore:
        return cls(_engine("sqlite://", None), policy, clock, hasher=hasher)

    # -- reading -----------------------------------------------------------------------------
    @_guarded
    def version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(version_table.c.version)).scalar_one())

    @_guarded
    def get(self, name: str) -> Account | None:
        with self.engine.connect() as conn:
            row = _row(conn, name)
        return None if row is None else _account(row)

    @_guarded
    def list(self, agency: str | None = None) -> builtins.list[Account]:
        """Every account (of ``agency`` when given), ordered by name."""
        query = sa.select(accounts_table).order_by(accounts_table.c.name)
        if agency is not None:
            query = query.where(accounts_table.c.agency == agency)
        with self.engine.connect() as conn:
            return [_account(row) for row in conn.execute(query).mappings()]

    # -- profiles ----------------------------------------------------------------------------
    @_guarded
    def sync_configured(
        self, users: Iterable[Mapping[str, Any]], created_by: str = "config"
    ) -> None:
        """Bring the accounts in line with civicfed.toml's [[users]]: add the missing ones (with
        no password yet) and update agency, roles, district and display name of the others,
        keeping their passwords, status, departure and counters."""
        wanted: dict[str, dict[str, Any]] = {}
        for user in users:
            profile = _profile(
                user.get("name"),
                user.get("agency"),
                user.get("roles", ["user"]),
                user.get("district"),
                user.get("display_name"),
            )
            if profile["name"] in wanted:
                raise AccountError(f"user {profile['name']!r} is configured twice; keep one entry")
            wanted[profile["name"]] = profile
        now = self._now()
        with self.engine.begin() as conn:
            query = sa.select(accounts_table).where(accounts_table.c.name.in_(wanted))
            stored = {row["name"]: row for row in conn.execute(query).mappings()}
            changed = False
            for name, profile in wanted.items():
                row = stored.get(name)
                if row is None:
                    conn.execute(_new_account(profile, created_by, now))
                elif any(row[key] != value for key, value in profile.items()):
                    conn.execute(_update(name, **profile))
                else:
                    continue
                changed = True
            if changed:
                _bump(conn)

    @_guarded
    def create(
        self,
        name: str,
        agency: str,
        roles: Iterable[str],
        *,
        created_by: str,
        district: str | None = None,
        display_name: str | None = None,
    ) -> Account:
        """Add an account with no password yet (``set_password`` gives it one)."""
        profile = _profile(name, agency, roles, district, display_name)
        duplicate = AccountError(f"an account named {name!r} already exists; choose another name")
        try:
            with self.engine.begin() as conn:
                if _row(conn, name) is not None:
                    raise duplicate
                conn.execute(_new_account(profile, created_by, self._now()))
                _bump(conn)
                return _account(_existing(conn, name))
        except sa.exc.IntegrityError as exc:  # created meanwhile by another process
            raise duplicate from exc

    @_guarded
    def set_status(self, name: str, status: str, *, by: str, reason: str) -> Account:
        """Activate, suspend or disable an account; suspending or disabling revokes its tokens."""
        if status not in ACCOUNT_STATUSES:
            raise AccountError(
                f"unknown status {status!r}; statuses are {', '.join(ACCOUNT_STATUSES)}"
            )
        if not reason.strip():
            raise AccountError("a status change needs a reason; say why (e.g. a document number)")
        now = self._now()
        with self.engine.begin() as conn:
            _existing(conn, name, for_update=True)
            conn.execute(
                _update(
                    name,
                    status=status,
                    status_reason=reason,
                    status_changed_by=by,
                    status_changed_at=now,
                )
            )
            if status != "active":
                _revoke_tokens(conn, name, now)
            _bump(conn)
            return _account(_existing(conn, name))

    @_guarded
    def set_departure(self, name: str, departure: dt.date | None, *, by: str) -> Account:
        """Set (or clear, with None) the day the holder leaves: from that day on the account can
        neither sign in nor query."""
        with self.engine.begin() as conn:
            _existing(conn, name, for_update=True)
            conn.execute(_update(name, departure_date=departure, departure_set_by=by))
            _bump(conn)
            return _account(_existing(conn, name))

    # -- passwords ---------------------------------------------------------------------------
    @_guarded
    def set_password(
        self,
        name: str,
        new_password: str,
        *,
        by: str,
        current_password: str | None = None,
        enforce_history: bool = True,
    ) -> None:
        """Give the account a new password. A user changing their own passes
        ``current_password``, which is checked (and counted) like a sign-in."""
        now = self._now()
        refusal: AuthenticationFailed | None = None
        with self.engine.begin() as conn:
            row = _row(conn, name, for_update=True)
            if row is None and current_password is not None:
                self._passwords.verify(None, current_password)  # as slow as for a real account
                raise AuthenticationFailed("invalid")
            if row is None:
                raise _no_account(name)
            if current_password is not None:
                refusal = self._attempt(conn, row, current_password, now)
            if refusal is None:
                problem = self._passwords.problem(
                    conn, name, new_password, check_history=enforce_history
                )
                if problem is not None:
                    raise AccountError(problem)
                new_hash = self._passwords.hash(new_password)
                changed = {"password_hash": new_hash, "password_changed_at": now}
                conn.execute(_update(name, **changed, failed_attempts=0, locked_until=None))
                self._passwords.record(conn, name, new_hash, by=by, at=now)
        if refusal is not None:  # raised after the commit, so the failed attempt is counted
            raise refusal

    @_guarded
    def authenticate(self, name: str, password: str) -> Account:
        """The account, when ``password`` is right and the account may sign in now."""
        now = self._now()
        with self.engine.begin() as conn:
            row = _row(conn, name, for_update=True)
            if row is None:
                self._passwords.verify(None, password)  # as slow as for a real account
                raise AuthenticationFailed("invalid")
            refusal = self._attempt(conn, row, password, now)
            account = _account(_existing(conn, name))
        if refusal is not None:  # raised after the commit, so the failed attempt is counted
            raise refusal
        # Only now, so that "inactive" does not tell a stranger that the account exists.
        self._admit(account, now)
        return account

    # -- tokens ------------------------------------------------------------------------------
    @_guarded
    def issue_token(self, name: str) -> tuple[str, dt.datetime]:
        """A new bearer token for the account and when it expires (only its SHA-256 is kept)."""
        now = self._now()
        token = secrets.token_urlsafe(32)
        expires_at = now + dt.timedelta(minutes=self.policy.token_ttl_minutes)
        with self.engine.begin() as conn:
            _existing(conn, name)
            row = {"token_sha256": _digest(token), "user_name": name, "issued_at": now}
            conn.execute(tokens_table.insert().values(**row, expires_at=expires_at))
        return token, expires_at

    @_guarded
    def resolve_token(self, token: str) -> Account:
        """The account a bearer token signs in, when the token and the account are still good."""
        now = self._now()
        with self.engine.connect() as conn:
            found = (
                conn.execute(
                    sa.select(tokens_table.c.user_name, tokens_table.c.expires_at).where(
                        tokens_table.c.token_sha256 == _digest(token),
                        tokens_table.c.revoked_at.is_(None),
                    )
                )
                .mappings()
                .first()
            )
            row = None if found is None else _row(conn, found["user_name"])
        if found is None or row is None:
            raise AuthenticationFailed("invalid")
        if as_utc(found["expires_at"]) <= now:
            raise AuthenticationFailed("expired_token")
        account = _account(row)
        self._admit(account, now)
        return account

    @_guarded
    def revoke_tokens(self, name: str) -> int:
        """Revoke the account's unexpired tokens; return how many there were."""
        now = self._now()
        with self.engine.begin() as conn:
            _existing(conn, name)
            return _revoke_tokens(conn, name, now)

    # -- internals ---------------------------------------------------------------------------
    def _now(self) -> dt.datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the account store's clock must return timezone-aware datetimes")
        return now.astimezone(dt.UTC)

    def _attempt(
        self, conn: sa.Connection, row: sa.RowMapping, password: str, now: dt.datetime
    ) -> AuthenticationFailed | None:
        """Check one password attempt, counting failures and locking; None when it is right."""
        locked_until = as_utc(row["locked_until"])
        if locked_until is not None and locked_until > now:
            return AuthenticationFailed("locked")
        name = row["name"]
        if not self._passwords.verify(row["password_hash"], password):
            failures = row["failed_attempts"] + 1
            if failures >= self.policy.lockout_threshold:
                until = now + dt.timedelta(minutes=self.policy.lockout_minutes)
                conn.execute(_update(name, failed_attempts=0, locked_until=until))
                return AuthenticationFailed("locked")
            conn.execute(_update(name, failed_attempts=failures))
            return AuthenticationFailed("invalid")
        values: dict[str, Any] = {"failed_attempts": 0, "locked_until": None}
        if self._passwords.needs_rehash(row["password_hash"]):
            values["password_hash"] = self._passwords.hash(password)
        conn.execute(_update(name, **values))
        return None

    def _admit(self, account: Account, now: dt.datetime) -> None:
        """Refuse an account that may not sign in now, or whose password is too old."""
        # "Today" is the server's local day, as for the Authorizer's grant validity.
        if not account.can_query(now.astimezone().date()):
            raise AuthenticationFailed("inactive")
        expires = self.password_expires_at(account)
        if expires is None or now > expires:
            raise PasswordExpired()

    def password_expires_at(self, account: Account) -> dt.datetime | None:
        """When the account's password must be changed (None: no password set yet)."""
        changed = account.password_changed_at
        if changed is None:
            return None
        return changed + dt.timedelta(days=self.policy.password_max_age_days)

    def check_new_password(self, password: str) -> None:
        """Refuse (AccountError) a password too short to be any account's new password."""
        problem = self._passwords.too_short(password)
        if problem is not None:
            raise AccountError(problem)


def _profile(
    name: Any, agency: Any, roles: Any, district: Any, display_name: Any
) -> dict[str, Any]:
    """The validated profile columns of an account."""
    if not isinstance(name, str) or not _USER_NAME.fullmatch(name):
        raise AccountError(
            f"account name {name!r} is not valid: use up to 128 letters, digits, '_', '.' or '-',"
            " starting with a letter or '_'"
        )
    if not isinstance(agency, str) or not _AGENCY_CODE.fullmatch(agency):
        raise AccountError(
            f"agency {agency!r} of account {name!r} is not an agency code: use capital letters,"
            " digits and '_', starting with a letter, as under [[agencies]]"
        )
    if isinstance(roles, str) or not isinstance(roles, Iterable):
        raise AccountError(f'roles of account {name!r} must be a list of role names, e.g. ["user"]')
    unique = tuple(dict.fromkeys(roles))
    unknown = [role for role in unique if role not in ROLES]
    if unknown or not unique:
        problem = f"unknown role(s) {unknown}" if unknown else "no role"
        raise AccountError(f"account {name!r} has {problem}; roles are {', '.join(ROLES)}")
    for key, value in (("district", district), ("display_name", display_name)):
        if value is not None and not isinstance(value, str):
            raise AccountError(f"{key} of account {name!r} must be text, not {value!r}")
    return {
        "name": name,
        "agency": agency,
        "roles": json.dumps(builtins.list(unique)),
        "district": district,
        "display_name": display_name,
    }


def _new_account(profile: Mapping[str, Any], created_by: str, now: dt.datetime) -> sa.Insert:
    return accounts_table.insert().values(
        **profile, status="active", failed_attempts=0, created_by=created_by, created_at=now
    )


def _update(name: str, /, **values: Any) -> sa.Update:
    return accounts_table.update().where(accounts_table.c.name == name).values(**values)


def _row(conn: sa.Connection, name: str, *, for_update: bool = False) -> sa.RowMapping | None:
    query = sa.select(accounts_table).where(accounts_table.c.name == name)
    if for_update:  # PostgreSQL: concurrent sign-ins must not lose a failure count
        query = query.with_for_update()
    return conn.execute(query).mappings().first()


def _existing(conn: sa.Connection, name: str, *, for_update: bool = False) -> sa.RowMapping:
    row = _row(conn, name, for_update=for_update)
    if row is None:
        raise _no_account(name)
    return row


def _no_account(name: str) -> AccountError:
    return AccountError(f"there is no account named {name!r}; check the name or create it")


def _revoke_tokens(conn: sa.Connection, name: str, now: dt.datetime) -> int:
    done = conn.execute(
        tokens_table.update()
        .where(
            tokens_table.c.user_name == name,
            tokens_table.c.revoked_at.is_(None),
            tokens_table.c.expires_at > now,
        )
        .values(revoked_at=now)
    )
    return int(done.rowcount)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _account(row: sa.RowMapping) -> Account:
    values = {field.name: row[field.name] for field in dataclasses.fields(Account)}
    values["roles"] = tuple(json.loads(row["roles"]))
    for key in ("password_changed_at", "locked_until", "created_at"):
        values[key] = as_utc(values[key])
    return Account(**values)
