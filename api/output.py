"""Render query results and plans for the terminal: rich tables, CSV, JSON, Parquet."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

FORMATS = ("table", "csv", "json", "parquet")


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def rows_as_json(table: pa.Table) -> str:
    return json.dumps(table.to_pylist(), ensure_ascii=False, default=_json_default, indent=1)


def write_result(
    table: pa.Table, fmt: str, console: Console, output: Path | None = None, title: str = ""
) -> None:
    """Write ``table`` in ``fmt`` to ``output`` (or the terminal)."""
    if fmt == "parquet":
        if output is None:
            if sys.stdout.isatty():
                raise ValueError("parquet output is binary: pass --output FILE or redirect it")
            buffer = io.BytesIO()
            pq.write_table(table, buffer)
            sys.stdout.buffer.write(buffer.getvalue())
            return
        pq.write_table(table, output)
        return
    if fmt == "csv":
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer)
        text = buffer.getvalue().decode("utf-8")
    elif fmt == "json":
        text = rows_as_json(table) + "\n"
    else:
        if output is None:
            console.print(rich_table(table, title))
            return
        text = rows_as_json(table)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def rich_table(table: pa.Table, title: str = "", max_rows: int = 50) -> Table:
    view = Table(title=title or None, show_lines=False, header_style="bold cyan")
    for name in table.column_names:
        view.add_column(name, overflow="fold")
    for row in table.slice(0, max_rows).to_pylist():
        view.add_row(*["∅" if v is None else str(v) for v in row.values()])
    if table.num_rows > max_rows:
        view.caption = f"{max_rows} of {table.num_rows} rows shown"
    else:
        view.caption = f"{table.num_rows} row{'s' if table.num_rows != 1 else ''}"
    return view
