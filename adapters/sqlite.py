"""SQLite files through the ADBC SQLite driver, opened read-only (``file:…?mode=ro``).

ADBC fixes each column's Arrow type from the values in the first batch, while SQLite lets every
value carry its own storage class: a column whose first rows are NULL would be typed int64 and
then fail on the first text value. So every statement starts with one placeholder row of the
right storage classes (``SELECT '' AS "name", 0.5 AS "amount" UNION ALL SELECT * FROM (…)``),
every projection is cast to one storage class (see ``SqliteDialect.project``), and the stream
drops the placeholder. SQLite runs a compound SELECT's parts in order, so it is the first row.
"""

from __future__ import annotations

import threading
import urllib.parse
from pathlib import Path
from typing import Any

import adbc_driver_sqlite
import adbc_driver_sqlite.dbapi
from sqlglot import exp

from adapters.base import ScanRequest, SourceError, SourceSettings
from adapters.dialects import SqliteDialect
from adapters.pool import ConnectionPool
from adapters.pushdown import Column
from adapters.source import Execution, SqlSource
from adapters.types import arrow_type

__all__ = ["SqliteAdapter"]

BATCH_ROWS = 65_536
_PLACEHOLDERS = {"INTEGER": exp.Literal.number(0), "REAL": exp.Literal.number("0.5")}


class SqliteAdapter(SqlSource):
    """A SQLite database file; ``schema`` is not used (SQLite has one per file)."""

    kind = "sqlite"
    rules = SqliteDialect()

    def __init__(self, settings: SourceSettings) -> None:
        super().__init__(settings)
        if not settings.path:
            raise ValueError(f"source {settings.name!r}: a sqlite source needs a path")
        self._path = Path(settings.path).absolute()
        self._pool: ConnectionPool[Any] | None = None
        self._pool_lock = threading.Lock()

    def _connections(self) -> ConnectionPool[Any]:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ConnectionPool(self._connect, lambda c: c.close())
            return self._pool

    def _connect(self) -> Any:
        if not self._path.is_file():  # mode=ro would say "out of memory" instead
            raise SourceError(self.name, "the database file does not exist")
        uri = f"file:{urllib.parse.quote(str(self._path))}?mode=ro"
        return adbc_driver_sqlite.dbapi.connect(uri)

    def _fetch(self, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self._connections().connection() as connection:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, parameters or None)
                return list(cursor.fetchall())
            finally:
                cursor.close()

    def _list_tables(self) -> list[str]:
        rows = self._fetch(
            "SELECT name FROM sqlite_master"
            " WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
        return [str(name) for (name,) in rows]

    def _load_columns(self, table: str) -> list[Column]:
        rows = self._fetch("SELECT name, type FROM pragma_table_info(?)", (table,))
        return [
            Column(
                str(name),
                arrow_type(str(declared or ""), sqlite_affinity=True),
                str(declared or "").lower(),
            )
            for name, declared in rows
        ]

    def _table_node(self, table: str) -> exp.Expr:
        return exp.table_(table)

    def _statement(self, request: ScanRequest) -> exp.Expr:
        select = super()._statement(request)
        placeholder = exp.select(
            *[exp.alias_(_placeholder(self.rules.storage(c)), c.name) for c in request.columns]
            or [exp.alias_(exp.Literal.number(1), "_row")]
        )
        return exp.union(
            placeholder, exp.select("*").from_(exp.Subquery(this=select)), distinct=False
        )

    def _execute(self, statement: str, request: ScanRequest) -> Execution:
        pool = self._connections()
        connection, _ = pool.acquire()
        cursor = connection.cursor()
        try:
            cursor.adbc_statement.set_options(
                **{adbc_driver_sqlite.StatementOptions.BATCH_ROWS.value: str(BATCH_ROWS)}
            )
            cursor.execute(statement)
            reader = cursor.fetch_record_batch()
        except BaseException:
            cursor.close()
            pool.discard(connection)
            raise

        def release(finished: bool) -> None:
            # Closing the statement ends a half-read query; the connection stays usable.
            try:
                reader.close()
                cursor.close()
            except Exception:
                pool.discard(connection)
            else:
                pool.release(connection, reusable=True)

        return Execution(reader, release, skip_rows=1)

    def _close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


def _placeholder(storage: str | None) -> exp.Expr:
    if storage is None:
        return exp.Null()
    if storage == "BLOB":
        return exp.HexString(this="")
    return _PLACEHOLDERS.get(storage, exp.Literal.string("")).copy()
