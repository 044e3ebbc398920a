"""The DuckDB database user queries run in, locked down as DuckDB's "Securing DuckDB" guide says.

One in-memory database per Federation, configured once and locked; each query gets its own cursor
(connection) on which only that query's scans are registered, so nothing else is reachable.
"""

from __future__ import annotations

import duckdb

_SECURE = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_persistent_secrets": False,
}


class Sandbox:
    """A locked DuckDB database with a memory limit; ``cursor()`` gives an isolated session."""

    def __init__(self, memory_limit: str = "4GB", threads: int = 2) -> None:
        config: dict[str, str | bool | int | float | list[str]] = {
            **_SECURE,
            "memory_limit": memory_limit,
            "threads": threads,
            "max_temp_directory_size": "0KiB",
        }
        self._db = duckdb.connect(":memory:", config=config)
        self._db.execute("SET lock_configuration = true")

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._db.cursor()

    def close(self) -> None:
        self._db.close()
