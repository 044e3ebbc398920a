"""MySQL and MariaDB through connectorx, streamed as Arrow (``return_type="arrow_stream"``).

There is no ADBC MySQL driver; the candidates are connectorx and DuckDB's mysql extension
(``mysql_query`` on a private DuckDB database, as adapters/postgres.py does). Measured on this
machine (MariaDB 10.11 on localhost, 2 cores; the 1M-row table of adapters/postgres.py; full scan
best/median of 5, first batch, resident-set growth, p50/p95 of 200 primary-key lookups;
``tests/adapters/driver_measurements.py``, ``--loaded`` with both cores kept busy):

    idle machine                     scan best/med   first batch   +RSS     lookup p50 / p95
    connectorx arrow_stream          0.43 / 0.45 s    34 ms        21 MB    1.26 / 1.36 ms
    DuckDB mysql_query               2.29 / 2.47 s   207 ms        19 MB    0.97 / 1.11 ms
    this adapter (connectorx)        0.44 / 0.45 s    39 ms        27 MB    1.70 / 1.93 ms
    under load (2 spinning procs)
    connectorx arrow_stream          0.79 / 0.84 s    77 ms        24 MB    6.83 / 8.45 ms
    DuckDB mysql_query               2.36 / 2.66 s   235 ms        16 MB    0.78 / 5.15 ms
    this adapter (connectorx)        0.74 / 0.82 s    73 ms        26 MB    4.38 / 9.25 ms

DuckDB's extension keeps pooled connections, so a lookup skips the connect and handshake
connectorx pays on every call (and the thread pool it starts, which hurts when the cores are
busy), but it reads rows over the text protocol and scans 5× slower (TPC-H orders, 150k rows:
0.66 s against 0.22 s). Scans are what federated analytics move, so connectorx stays; ~0.7 ms
(idle) to ~3.5 ms (loaded) per lookup is the price.

Decimal fidelity: connectorx reads DECIMAL through rust_decimal rescaled to scale 10, which drops
digits past the tenth decimal place without a word and fails beyond 18 integer digits. Such
columns (and DECIMALs wider than Arrow's 38 digits, declared DOUBLE as DuckDB's scanner reads
them) are sent as ``CAST(… AS CHAR)`` and parsed exactly by ``conform``; see
``MySQLDialect.project``. DuckDB's extension is exact up to 38 digits.

connectorx sends the statement unchanged (a prepared statement; verified in the general log), so
``render()`` is what the server receives, including the time limit in front of it: MariaDB
``SET STATEMENT max_statement_time=N FOR SELECT …``, MySQL a ``/*+ MAX_EXECUTION_TIME(ms) */``
hint. pymysql is used for information_schema only, never rows.

connectorx retries a refused connection for 30 s before failing, whatever the timeout; a TCP
probe bounded by timeout_s runs first so a down server fails fast. Errors in the middle of a
stream arrive as Rust panics (``pyo3_runtime.PanicException``, a BaseException); the shared stream
turns them into SourceError like any other failure.
"""

from __future__ import annotations

import socket
import threading
import urllib.parse
from typing import Any

import connectorx
import pymysql
from sqlglot import exp

from adapters.base import ScanRequest, SourceError, SourceSettings
from adapters.dialects import MySQLDialect
from adapters.pushdown import Column
from adapters.source import Execution, SqlSource
from adapters.types import arrow_type

__all__ = ["MySQLAdapter"]

BATCH_ROWS = 65_536


class MySQLAdapter(SqlSource):
    """One MySQL database (``schema`` setting, default the DSN's database)."""

    kind = "mysql"
    rules = MySQLDialect()

    def __init__(self, settings: SourceSettings) -> None:
        super().__init__(settings)
        if not settings.dsn:
            raise ValueError(f"source {settings.name!r}: a mysql source needs a dsn")
        parts = urllib.parse.urlsplit(settings.dsn)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 3306
        self._user = urllib.parse.unquote(parts.username or "")
        self._password = urllib.parse.unquote(parts.password or "")
        self._schema = settings.schema or parts.path.lstrip("/")
        if not self._schema:
            raise ValueError(f"source {settings.name!r}: the mysql dsn names no database")
        self._dsn = settings.dsn
        self._mariadb: bool | None = None
        self._flavour_lock = threading.Lock()

    def _metadata_connection(self) -> pymysql.connections.Connection[Any]:
        timeout = max(1, round(self.settings.timeout_s))
        return pymysql.connect(
            host=self._host,
            port=self._port,
            user=self._user,
            password=self._password,
            charset="utf8mb4",
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
        )

    def _fetch(self, sql: str, parameters: tuple[object, ...]) -> list[tuple[Any, ...]]:
        connection = self._metadata_connection()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, parameters)
                rows = list(cursor.fetchall())
                if self._mariadb is None:  # render() needs it; ask while connected anyway
                    cursor.execute("SELECT VERSION()")
                    version = cursor.fetchone()
                    with self._flavour_lock:
                        self._mariadb = "mariadb" in str(version[0] if version else "").lower()
                return rows
        finally:
            connection.close()

    def _list_tables(self) -> list[str]:
        rows = self._fetch(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
            (self._schema,),
        )
        return [str(name) for (name,) in rows]

    def _load_columns(self, table: str) -> list[Column]:
        rows = self._fetch(
            "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS"
            " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
            (self._schema, table),
        )
        columns = []
        for name, column_type in rows:
            declared = (
                column_type.decode() if isinstance(column_type, bytes) else str(column_type)
            ).lower()
            columns.append(Column(str(name), arrow_type(declared), declared))
        return columns

    def _table_node(self, table: str) -> exp.Expr:
        return exp.table_(table, db=self._schema)

    def render(self, request: ScanRequest) -> str:
        """Return the statement sent: the SELECT under the server's statement time limit."""
        select = super().render(request)
        if self._is_mariadb():
            seconds = f"{self.settings.timeout_s:.3f}"
            return f"SET STATEMENT max_statement_time={seconds} FOR {select}"
        hint = f"/*+ MAX_EXECUTION_TIME({max(1, int(self.settings.timeout_s * 1000))}) */"
        return select.replace("SELECT ", f"SELECT {hint} ", 1)

    def _is_mariadb(self) -> bool:
        if self._mariadb is None:
            with self._failures("reading the server version"):
                self._fetch("SELECT 1", ())
        return bool(self._mariadb)

    def _execute(self, statement: str, request: ScanRequest) -> Execution:
        self._probe()
        reader = connectorx.read_sql(
            self._dsn, statement, return_type="arrow_stream", batch_size=BATCH_ROWS
        )
        return Execution(reader, lambda finished: reader.close())

    def _probe(self) -> None:
        try:
            socket.create_connection(
                (self._host, self._port), timeout=min(self.settings.timeout_s, 10.0)
            ).close()
        except OSError:
            raise SourceError(self.name, "cannot reach the source") from None

    def _close(self) -> None:
        """Nothing is held open: connectorx and the metadata queries connect per call."""
