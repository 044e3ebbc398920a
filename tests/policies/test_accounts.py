"""Accounts for the HTTP API: argon2id passwords, lockout, expiry and reuse, bearer tokens,
status and departure — on SQLite, and on PostgreSQL in a throwaway schema."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from policies import (
    Account,
    AccountError,
    AccountPolicy,
    AccountStore,
    AuthenticationFailed,
    GrantStore,
    PasswordExpired,
)

# Cheap parameters: the tests check behaviour, not the cost of a guess.
CHEAP = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
PASSWORD = "correct horse battery staple"
START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)  # noon: the same day in most time zones


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)

    def today(self) -> dt.date:
        return self.now.astimezone().date()  # the server's local day, as the store uses


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def store(clock: Clock) -> AccountStore:
    """An in-memory store with clerk (DAAN, password set) and auditor_li (no password yet)."""
    accounts = AccountStore.in_memory(clock=clock, hasher=CHEAP)
    accounts.create("clerk", "DAAN", ["user"], created_by="admin", district="大安區")
    accounts.set_password("clerk", PASSWORD, by="admin")
    accounts.create("auditor_li", "AUDIT", ["auditor"], created_by="admin")
    return accounts


def refusal(call: Callable[..., object], *args: object, **kwargs: object) -> AuthenticationFailed:
    """What ``call`` was refused with."""
    with pytest.raises(AuthenticationFailed) as caught:
        call(*args, **kwargs)
    return caught.value


def stored(accounts: AccountStore, sql: str) -> list[tuple[object, ...]]:
    with accounts.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql))]


# -- passwords -------------------------------------------------------------------------------
def test_password_is_stored_as_an_argon2id_hash(store: AccountStore) -> None:
    [(password_hash,)] = stored(
        store, "SELECT password_hash FROM civicfed_accounts WHERE name = 'clerk'"
    )
    assert isinstance(password_hash, str) and password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash
    history = stored(store, "SELECT password_hash FROM civicfed_password_history")
    assert history == [(password_hash,)]


def test_right_password_signs_in_with_utc_timestamps(store: AccountStore, clock: Clock) -> None:
    account = store.authenticate("clerk", PASSWORD)
    assert account.name == "clerk" and account.failed_attempts == 0
    assert account.password_changed_at == START
    assert account.password_changed_at.utcoffset() == dt.timedelta(0)
    assert account.created_at.utcoffset() == dt.timedelta(0)


def test_account_with_no_password_yet_cannot_sign_in(store: AccountStore) -> None:
    assert store.get("auditor_li").password_changed_at is None  # type: ignore[union-attr]
    assert refusal(store.authenticate, "auditor_li", "").reason == "invalid"


def test_wrong_passwords_lock_the_account_until_the_lockout_ends(
    store: AccountStore, clock: Clock
) -> None:
    for attempt in range(1, 5):
        assert refusal(store.authenticate, "clerk", f"guess number {attempt}").reason == "invalid"
        assert store.get("clerk").failed_attempts == attempt  # type: ignore[union-attr]
    assert refusal(store.authenticate, "clerk", "guess number 5").reason == "locked"
    locked = store.get("clerk")
    assert locked is not None and locked.failed_attempts == 0
    assert locked.locked_until == START + dt.timedelta(minutes=15)
    # While locked, even the right password is refused without being checked.
    clock.advance(minutes=14, seconds=59)
    assert refusal(store.authenticate, "clerk", PASSWORD).reason == "locked"
    clock.advance(seconds=1)
    assert store.authenticate("clerk", PASSWORD).locked_until is None


def test_right_password_resets_the_failure_count(store: AccountStore) -> None:
    for _ in range(4):
        refusal(store.authenticate, "clerk", "not the password")
    assert store.authenticate("clerk", PASSWORD).failed_attempts == 0
    # The count starts again: four more failures do not lock.
    for _ in range(4):
        assert refusal(store.authenticate, "clerk", "not the password").reason == "invalid"


def test_unknown_user_and_wrong_password_give_the_same_answer(store: AccountStore) -> None:
    unknown = refusal(store.authenticate, "nobody", PASSWORD)
    wrong = refusal(store.authenticate, "clerk", "not the password")
    assert (unknown.reason, str(unknown)) == (wrong.reason, str(wrong)) == ("invalid", str(wrong))
    assert "nobody" not in str(unknown) and "clerk" not in str(wrong)


def test_inactive_is_only_told_to_whoever_has_the_right_password(store: AccountStore) -> None:
    store.set_status("clerk", "suspended", by="admin", reason="北市教字第1140001號")
    assert refusal(store.authenticate, "clerk", "not the password").reason == "invalid"
    assert refusal(store.authenticate, "clerk", PASSWORD).reason == "inactive"


def test_password_expires_after_ninety_days_and_changing_it_lets_the_user_in(
    store: AccountStore, clock: Clock
) -> None:
    clock.advance(days=90)
    store.authenticate("clerk", PASSWORD)  # exactly 90 days old is still fine
    refusal(store.authenticate, "clerk", "not the password")
    clock.advance(seconds=1)
    expired = refusal(store.authenticate, "clerk", PASSWORD)
    assert isinstance(expired, PasswordExpired) and expired.reason == "password_expired"
    assert store.get("clerk").failed_attempts == 0  # type: ignore[union-attr]
    new = "a brand new passphrase for spring"
    store.set_password("clerk", new, by="clerk", current_password=PASSWORD)
    account = store.authenticate("clerk", new)
    assert account.password_changed_at == clock.now


def test_hash_is_renewed_when_the_hasher_parameters_change(
    store: AccountStore, clock: Clock
) -> None:
    stronger = PasswordHasher(time_cost=2, memory_cost=8 * 1024, parallelism=1)
    AccountStore(store.engine, clock=clock, hasher=stronger).authenticate("clerk", PASSWORD)
    query = "SELECT password_hash FROM civicfed_accounts WHERE name = 'clerk'"
    [(renewed,)] = stored(store, query)
    assert isinstance(renewed, str) and renewed.startswith("$argon2id$v=19$m=8192,t=2,")
    assert store.authenticate("clerk", PASSWORD).password_changed_at == START


def test_changing_a_password_needs_the_current_one_and_counts_failures(
    store: AccountStore,
) -> None:
    new = "a brand new passphrase for spring"
    change = store.set_password
    for _ in range(4):
        assert (
            refusal(change, "clerk", new, by="clerk", current_password="wrong").reason == "invalid"
        )
    assert refusal(change, "clerk", new, by="clerk", current_password="wrong").reason == "locked"
    assert refusal(store.authenticate, "clerk", PASSWORD).reason == "locked"
    assert store.get("clerk").password_changed_at == START  # type: ignore[union-attr]
    # For an unknown account the answer is the same as for a wrong password.
    unknown = refusal(change, "nobody", new, by="nobody", current_password=PASSWORD)
    assert (unknown.reason, str(unknown)) == ("invalid", "the user name or password is not correct")


def test_last_five_passwords_cannot_be_reused_the_sixth_oldest_can(store: AccountStore) -> None:
    passwords = [PASSWORD] + [f"passphrase number {n} of six" for n in range(2, 7)]
    for password in passwords[1:]:
        store.set_password("clerk", password, by="clerk")
    for recent in passwords[1:]:  # the current one and the four before it
        with pytest.raises(AccountError, match="was used recently"):
            store.set_password("clerk", recent, by="clerk")
    store.set_password("clerk", passwords[0], by="clerk")
    assert store.authenticate("clerk", passwords[0]).name == "clerk"
    # Only the hashes the check needs are kept.
    assert len(stored(store, "SELECT id FROM civicfed_password_history")) == 5


def test_an_administrator_reset_may_skip_the_history(store: AccountStore) -> None:
    store.set_password("clerk", PASSWORD, by="admin", enforce_history=False)
    assert store.authenticate("clerk", PASSWORD).name == "clerk"


def test_short_password_is_refused_and_nothing_changes(store: AccountStore) -> None:
    with pytest.raises(AccountError, match="at least 12 characters"):
        store.set_password("clerk", "short1!", by="clerk")
    assert store.authenticate("clerk", PASSWORD).password_changed_at == START


def test_error_messages_never_carry_a_password(store: AccountStore, clock: Clock) -> None:
    secret = "hunter2-but-longer"
    calls = [
        lambda: store.authenticate("clerk", secret),
        lambda: store.authenticate("nobody", secret),
        lambda: store.set_password("clerk", secret[:8], by="clerk"),
        lambda: store.set_password("clerk", PASSWORD, by="clerk"),
        lambda: store.set_password("clerk", PASSWORD + "x", by="clerk", current_password=secret),
        lambda: store.set_password("nobody", secret, by="admin"),
        lambda: store.resolve_token(secret),
    ]
    for call in calls:
        with pytest.raises((AccountError, AuthenticationFailed)) as caught:
            call()
        text = f"{caught.value} {caught.value!r}"
        for word in (secret, secret[:8], PASSWORD):
            assert word not in text


# -- tokens ----------------------------------------------------------------------------------
def test_token_resolves_until_it_expires(store: AccountStore, clock: Clock) -> None:
    token, expires_at = store.issue_token("clerk")
    assert expires_at == START + dt.timedelta(minutes=480)
    assert store.resolve_token(token).name == "clerk"
    clock.advance(minutes=479, seconds=59)
    assert store.resolve_token(token).name == "clerk"
    clock.advance(seconds=1)
    assert refusal(store.resolve_token, token).reason == "expired_token"
    assert refusal(store.resolve_token, "not-a-token").reason == "invalid"


def test_only_the_sha256_of_a_token_is_stored(store: AccountStore) -> None:
    token, _ = store.issue_token("clerk")
    rows = stored(store, "SELECT * FROM civicfed_tokens")
    assert len(rows) == 1
    assert hashlib.sha256(token.encode()).hexdigest() in rows[0]
    assert not [value for value in rows[0] if isinstance(value, str) and token in value]


def test_token_of_a_suspended_account_is_refused(store: AccountStore) -> None:
    token, _ = store.issue_token("clerk")
    store.set_status("clerk", "suspended", by="admin", reason="under investigation")
    assert refusal(store.resolve_token, token).reason == "invalid"  # revoked with the suspension
    # Reactivating the account does not bring its old tokens back.
    account = store.set_status("clerk", "active", by="admin", reason="cleared")
    assert account.status == "active" and account.status_reason == "cleared"
    assert refusal(store.resolve_token, token).reason == "invalid"


def test_token_refused_once_the_password_expires(store: AccountStore, clock: Clock) -> None:
    clock.advance(days=89, hours=23)
    token, _ = store.issue_token("clerk")
    clock.advance(hours=2)
    assert isinstance(refusal(store.resolve_token, token), PasswordExpired)


def test_revoke_tokens_counts_the_live_ones(store: AccountStore, clock: Clock) -> None:
    old, _ = store.issue_token("clerk")
    clock.advance(hours=9)  # the first has expired
    live = [store.issue_token("clerk")[0] for _ in range(2)]
    assert store.revoke_tokens("clerk") == 2
    assert store.revoke_tokens("clerk") == 0
    for token in live:
        assert refusal(store.resolve_token, token).reason == "invalid"
    assert refusal(store.resolve_token, old).reason == "expired_token"


# -- status, departure, configuration --------------------------------------------------------
def test_departed_account_can_neither_sign_in_nor_query(store: AccountStore, clock: Clock) -> None:
    token, _ = store.issue_token("clerk")
    today = clock.today()
    account = store.set_departure("clerk", today + dt.timedelta(days=1), by="admin")
    assert account.can_query(today) and store.authenticate("clerk", PASSWORD)
    account = store.set_departure("clerk", today, by="admin")
    assert account.departure_date == today
    assert not account.can_query(today)
    assert account.can_query(today - dt.timedelta(days=1))
    assert refusal(store.authenticate, "clerk", PASSWORD).reason == "inactive"
    assert refusal(store.resolve_token, token).reason == "inactive"
    store.set_departure("clerk", None, by="admin")
    assert store.authenticate("clerk", PASSWORD).departure_date is None


def test_status_and_departure_bump_the_policy_version(store: AccountStore) -> None:
    before = store.version()
    store.set_status("clerk", "disabled", by="admin", reason="left the office")
    store.set_departure("clerk", dt.date(2026, 6, 30), by="admin")
    assert store.version() == before + 2
    store.set_password("auditor_li", "an auditor's long passphrase", by="admin")
    store.issue_token("auditor_li")
    assert store.version() == before + 2  # passwords and tokens are not policy


def test_bad_status_role_agency_or_duplicate_is_refused(store: AccountStore) -> None:
    with pytest.raises(AccountError, match="statuses are active, suspended, disabled"):
        store.set_status("clerk", "retired", by="admin", reason="x")
    with pytest.raises(AccountError, match="needs a reason"):
        store.set_status("clerk", "suspended", by="admin", reason=" ")
    with pytest.raises(AccountError, match=r"unknown role\(s\) \['superuser'\]"):
        store.create("bob", "DAAN", ["superuser"], created_by="admin")
    with pytest.raises(AccountError, match="no role"):
        store.create("bob", "DAAN", [], created_by="admin")
    with pytest.raises(AccountError, match="not an agency code"):
        store.create("bob", "daan office", ["user"], created_by="admin")
    with pytest.raises(AccountError, match="is not valid"):
        store.create("bob smith", "DAAN", ["user"], created_by="admin")
    with pytest.raises(AccountError, match="already exists"):
        store.create("clerk", "XINYI", ["user"], created_by="admin")
    with pytest.raises(AccountError, match="no account named 'nobody'"):
        store.set_departure("nobody", None, by="admin")
    assert [a.name for a in store.list()] == ["auditor_li", "clerk"]


def test_sync_configured_keeps_passwords_when_roles_change(store: AccountStore) -> None:
    store.set_status("clerk", "suspended", by="admin", reason="leave")
    users = [
        {"name": "clerk", "agency": "DAAN", "roles": ["user"], "district": "大安區"},
        {"name": "owner_cra", "agency": "CRA", "roles": ["data_owner"], "display_name": "戶政"},
    ]
    before = store.version()
    store.sync_configured(users)
    assert store.version() == before + 1
    added = store.get("owner_cra")
    assert added is not None and added.created_by == "config"
    assert added.password_changed_at is None and added.roles == ("data_owner",)
    store.sync_configured(users)
    assert store.version() == before + 1  # nothing changed: no bump
    users[0] = {"name": "clerk", "agency": "XINYI", "roles": ["user", "analyst"]}
    store.sync_configured(users)
    clerk = store.get("clerk")
    assert clerk is not None and store.version() == before + 2
    assert (clerk.agency, clerk.roles, clerk.district) == ("XINYI", ("user", "analyst"), None)
    assert (clerk.status, clerk.password_changed_at) == ("suspended", START)
    store.set_status("clerk", "active", by="admin", reason="back")
    assert store.authenticate("clerk", PASSWORD).agency == "XINYI"


def test_sync_configured_writes_nothing_when_one_user_is_bad(store: AccountStore) -> None:
    before = store.version()
    with pytest.raises(AccountError, match="configured twice"):
        store.sync_configured([{"name": "new", "agency": "DAAN"}, {"name": "new", "agency": "CRA"}])
    with pytest.raises(AccountError, match="unknown role"):
        store.sync_configured(
            [{"name": "new", "agency": "DAAN"}, {"name": "x", "agency": "DAAN", "roles": ["god"]}]
        )
    assert store.get("new") is None and store.version() == before


def test_principal_has_the_catalog_shape(store: AccountStore) -> None:
    clerk = store.get("clerk")
    auditor = store.get("auditor_li")
    assert clerk is not None and auditor is not None
    principal = clerk.principal()
    assert (principal.name, principal.agency, principal.roles) == ("clerk", "DAAN", ("user",))
    assert principal.attributes == {"agency": "DAAN", "name": "clerk", "district": "大安區"}
    assert auditor.principal().attributes == {"agency": "AUDIT", "name": "auditor_li"}
    assert [a.name for a in store.list(agency="DAAN")] == ["clerk"]


# -- the real metadata databases -------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgres"])
def grant_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GrantStore]:
    """The grant store of a fresh metadata database: a SQLite file, or a throwaway PostgreSQL
    schema (created and dropped with psycopg)."""
    if request.param == "sqlite":
        grants = GrantStore.open(f"sqlite:///{tmp_path / 'metadata.sqlite'}")
        yield grants
        grants.close()
        return
    dsn = request.getfixturevalue("pg_dsn")
    schema = f"civicfed_accounts_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        grants = GrantStore.open(dsn, schema=schema)
        yield grants
        grants.close()
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _taipei_session(dbapi_connection: psycopg.Connection[object], _: object) -> None:
    dbapi_connection.execute("SET TIME ZONE 'Asia/Taipei'")
    dbapi_connection.commit()


def test_accounts_beside_the_grants(grant_store: GrantStore, clock: Clock) -> None:
    if grant_store.engine.dialect.name == "postgresql":
        # PostgreSQL answers in the session's time zone; the store must still give UTC.
        sa.event.listen(grant_store.engine, "connect", _taipei_session)
        grant_store.engine.dispose()
    policy = AccountPolicy(lockout_threshold=2)
    accounts = AccountStore(grant_store.engine, policy, clock, hasher=CHEAP)
    assert accounts.version() == grant_store.version()
    account = accounts.create("clerk", "DAAN", ["user"], created_by="admin", district="大安區")
    assert isinstance(account, Account) and accounts.version() == grant_store.version()
    accounts.set_password("clerk", PASSWORD, by="admin")
    signed_in = accounts.authenticate("clerk", PASSWORD)
    assert signed_in.password_changed_at == START and signed_in.created_at == START
    assert signed_in.password_changed_at.utcoffset() == dt.timedelta(0)
    with grant_store.engine.connect() as conn:
        [(changed_at,)] = conn.execute(sa.text("SELECT password_changed_at FROM civicfed_accounts"))
    if grant_store.engine.dialect.name == "postgresql":
        assert changed_at.utcoffset() == dt.timedelta(hours=8) and changed_at == START

    assert refusal(accounts.authenticate, "clerk", "wrong").reason == "invalid"
    assert refusal(accounts.authenticate, "clerk", "wrong").reason == "locked"
    clock.advance(minutes=15)
    token, expires_at = accounts.issue_token("clerk")
    assert accounts.resolve_token(token).name == "clerk"
    clock.advance(minutes=480)
    assert refusal(accounts.resolve_token, token).reason == "expired_token"
    assert expires_at == clock.now

    # A second store on the same database (another process) sees the same accounts.
    again = AccountStore(grant_store.engine, policy, clock, hasher=CHEAP)
    assert [a.name for a in again.list()] == ["clerk"]
    assert again.authenticate("clerk", PASSWORD).name == "clerk"
