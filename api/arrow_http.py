"""Arrow results over HTTP: JSON rows for people and scripts, an IPC stream for programs."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import io
import math
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

ARROW_STREAM = "application/vnd.apache.arrow.stream"


def json_value(value: Any) -> Any:
    """A JSON-ready form of one Arrow value: dates as ISO 8601; decimals as numbers when a
    float holds them exactly, else as strings; bytes as base64; NaN/inf as null."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        as_float = float(value)
        return as_float if decimal.Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return str(value)


def json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """The rows as objects keyed by column name (DuckDB keeps output names unique)."""
    names = table.column_names
    columns = [[json_value(v) for v in col.to_pylist()] for col in table.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def column_types(table: pa.Table) -> list[dict[str, str]]:
    return [{"name": f.name, "type": str(f.type)} for f in table.schema]


class _Chunks(io.RawIOBase):
    """A write-only file that hands back what was written since the last drain."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        return len(chunk)

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def ipc_stream(table: pa.Table, batch_rows: int = 65_536) -> Iterator[bytes]:
    """The table as an Arrow IPC stream, one chunk per record batch, so a large result goes
    out while later batches are still being encoded."""
    sink = _Chunks()
    with pa.ipc.new_stream(pa.PythonFile(sink, mode="w"), table.schema) as writer:
        yield sink.drain()
        for batch in table.to_batches(max_chunksize=batch_rows):
            writer.write_batch(batch)
            yield sink.drain()
    yield sink.drain()


def wants_arrow(accept: str | None) -> bool:
    return accept is not None and ARROW_STREAM in accept.lower()
