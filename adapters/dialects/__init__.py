"""What each source kind does with a pushed comparison or aggregate: exact, a superset, or not at
all, and how its literals, column references and aggregates are written so that the source means
what DuckDB means.

The truth is DuckDB on local copies (DESIGN invariant 8). DuckDB, Parquet and CSV sources are
read by DuckDB itself, so ``SourceDialect`` (the base) is exact for every shape ``parse_filter``
and ``parse_aggregation`` accept, and for a filter that calls DuckDB functions when they are
scalar and deterministic and the columns arrive with the type the source holds
(``adapters.function_filters``). The server and SQLite dialects narrow it where their semantics
differ, and refuse function filters (but for ``abs()``) with the reason.
"""

from adapters.dialects.base import SourceDialect
from adapters.dialects.mysql import MySQLDialect
from adapters.dialects.postgres import PostgresDialect
from adapters.dialects.sqlite import SqliteDialect, storage_class

__all__ = ["MySQLDialect", "PostgresDialect", "SourceDialect", "SqliteDialect", "storage_class"]
