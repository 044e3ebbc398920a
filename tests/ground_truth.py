"""Ground truth for differential tests: the demo's tables as local DuckDB copies, under the same
``source.table`` names, so the same SQL runs unchanged on them."""

from __future__ import annotations

import duckdb

from demo.generate import generate


def local_copies(scale: int, seed: int) -> duckdb.DuckDBPyConnection:
    data = generate(scale, seed)
    conn = duckdb.connect()
    for source, tables in data.sources().items():
        conn.execute(f"CREATE SCHEMA {source}")
        for name, frame in tables.items():
            conn.register("frame", frame.to_arrow())
            conn.execute(f"CREATE TABLE {source}.{name} AS SELECT * FROM frame")
            conn.unregister("frame")
    return conn
