"""Account passwords: argon2id hashes, the rules a new password must pass, and each account's
recent hashes so that none of them is used again.

A dummy hash makes checking a password for an account that does not exist cost as much as
checking one for an account that does.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata

import sqlalchemy as sa
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

history_table = sa.Table(
    "civicfed_password_history",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_name", sa.String(128), nullable=False, index=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("set_by", sa.String(128), nullable=False),
    sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
)


class Passwords:
    """Hash and verify passwords with one argon2id hasher, and keep the last ``history``."""

    def __init__(self, hasher: PasswordHasher | None, *, min_length: int, history: int) -> None:
        self.hasher = hasher or PasswordHasher()  # argon2-cffi's defaults are argon2id
        if self.hasher.type is not Type.ID:
            raise ValueError(
                "passwords are hashed with argon2id: pass PasswordHasher(type=Type.ID)"
            )
        self.min_length = min_length
        self.history = history
        self._dummy: str | None = None  # made on first need: opening a store stays cheap

    @property
    def dummy(self) -> str:
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    def hash(self, password: str) -> str:
        """The encoded argon2id hash of ``password`` ("$argon2id$v=19$…")."""
        return self.hasher.hash(_normalized(password))

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``; with nothing stored, spend the same time on
        the dummy hash and say no."""
        try:
            matched = self.hasher.verify(stored or self.dummy, _normalized(password))
        except (VerificationError, InvalidHashError):
            return False
        return matched and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made with other parameters than the hasher's current ones."""
        return self.hasher.check_needs_rehash(stored)

    def problem(
        self, conn: sa.Connection, name: str, password: str, *, check_history: bool = True
    ) -> str | None:
        """Why ``password`` may not become ``name``'s new password, or None when it may."""
        short = self.too_short(password)
        if short is not None:
            return short
        if check_history and self.history > 0:
            recent = [old for _, old in self._newest_first(conn, name)[: self.history]]
            if any(self.verify(old, password) for old in recent):
                return (
                    f"the new password was used recently: none of the last {self.history}"
                    " passwords may be used again; choose another"
                )
        return None

    def too_short(self, password: str) -> str | None:
        """Why ``password`` is too short for anyone, or None."""
        if len(password) < self.min_length:
            return (
                f"the new password is too short: use at least {self.min_length} characters"
                " (a few unrelated words make a long password that is easy to remember)"
            )
        return None

    def record(
        self, conn: sa.Connection, name: str, password_hash: str, *, by: str, at: dt.datetime
    ) -> None:
        """Add a new password to ``name``'s history and drop the hashes the check no longer
        needs (an old hash kept is only a liability)."""
        conn.execute(
            history_table.insert().values(
                user_name=name, password_hash=password_hash, set_by=by, set_at=at
            )
        )
        stale = [row_id for row_id, _ in self._newest_first(conn, name)[max(self.history, 1) :]]
        if stale:
            conn.execute(history_table.delete().where(history_table.c.id.in_(stale)))

    def _newest_first(self, conn: sa.Connection, name: str) -> list[tuple[int, str]]:
        """``name``'s (history id, password hash), the current password first."""
        query = (
            sa.select(history_table.c.id, history_table.c.password_hash)
            .where(history_table.c.user_name == name)
            .order_by(history_table.c.set_at.desc(), history_table.c.id.desc())
        )
        return [(row_id, old) for row_id, old in conn.execute(query)]


def _normalized(password: str) -> str:
    # The same password typed through another input method must still match (NIST SP 800-63B
    # §5.1.1.2 asks for NFKC or NFKD before hashing).
    return unicodedata.normalize("NFKC", password)
