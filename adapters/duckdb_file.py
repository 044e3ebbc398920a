"""DuckDB database files, opened read-only with file and network access switched off."""

from __future__ import annotations

from pathlib import Path

import duckdb
from sqlglot import exp

from adapters.base import SourceError, SourceSettings
from adapters.duckdb_scan import DuckDBScanSource
from adapters.pushdown import Column

__all__ = ["DuckDBFileAdapter"]


class DuckDBFileAdapter(DuckDBScanSource):
    """A DuckDB file; ``schema`` (default ``main``) names the schema whose tables are exposed."""

    kind = "duckdb"

    def __init__(self, settings: SourceSettings) -> None:
        super().__init__(settings)
        if not settings.path:
            raise ValueError(f"source {settings.name!r}: a duckdb source needs a path")
        self._path = Path(settings.path)
        self._schema = settings.schema or "main"

    def _open(self) -> duckdb.DuckDBPyConnection:
        if not self._path.is_file():
            raise SourceError(self.name, "the database file does not exist")
        # Only our own SELECTs run here, but their masks and filters come from users' queries:
        # nothing in them needs files, network or extensions.
        return duckdb.connect(
            str(self._path),
            read_only=True,
            config={
                "enable_external_access": False,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            },
        )

    def _list_tables(self) -> list[str]:
        cursor = self._connection().cursor()
        try:
            rows = cursor.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_catalog = current_database() AND table_schema = ?",
                [self._schema],
            ).fetchall()
        finally:
            cursor.close()
        return [str(name) for (name,) in rows]

    def _load_columns(self, table: str) -> list[Column]:
        if table not in self._list_tables():
            return []
        return self._query_columns(self._table_node(table).sql(dialect="duckdb", identify=True))

    def _table_node(self, table: str) -> exp.Expr:
        return exp.table_(table, db=self._schema)
