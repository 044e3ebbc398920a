"""Audit entries as a polars frame, one row per entry, for sampling, anomaly rules and reports.

Everything is read back from the signed event text (the side columns of ``audit_events`` only
narrow the scan by time). Months are the city's months: Asia/Taipei.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import polars as pl
import sqlglot
from sqlglot import exp

from audit.identifiers import TOKEN
from audit.log import AuditLog

TIMEZONE = "Asia/Taipei"
TAIPEI = ZoneInfo(TIMEZONE)
NO_AGENCY = "(unknown)"
NO_SOURCE = "(none)"

_PURPOSE = pl.Struct(
    {k: pl.String for k in ("case_name", "purpose", "document_no", "case_no", "legal_basis")}
)
_EVENT = pl.Struct(
    {
        "type": pl.String,
        "time": pl.String,
        "query_id": pl.String,
        "user": pl.String,
        "actor": pl.String,
        "reviewer": pl.String,
        "agency": pl.String,
        "roles": pl.List(pl.String),
        "purpose": _PURPOSE,
        "sql": pl.String,
        "rewritten_sql": pl.String,
        "source_sql": pl.List(
            pl.Struct({"source": pl.String, "table": pl.String, "statement": pl.String})
        ),
        "tables": pl.List(
            pl.Struct(
                {"table": pl.String, "columns": pl.List(pl.String), "grants": pl.List(pl.String)}
            )
        ),
        "outcome": pl.String,
        "error_code": pl.String,
        "reason": pl.String,
        "rows": pl.Int64,
        "duration_ms": pl.Float64,
        "action": pl.String,
        "step": pl.String,
    }
)
_ISO = "%Y-%m-%dT%H:%M:%S%.f%:z"


@dataclass(frozen=True)
class Month:
    """A calendar month in Taipei time."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"month {text!r} must read YYYY-MM, e.g. 2026-11")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.year, self.month, 1, tzinfo=TAIPEI)

    @property
    def end(self) -> dt.datetime:
        year, month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return dt.datetime(year, month, 1, tzinfo=TAIPEI)


def frame_from_rows(rows: list[tuple[int, str]]) -> pl.DataFrame:
    """One row per entry: the event's fields plus ``local_time`` (Taipei), ``sources`` (the
    sources the query touched or named) and ``subjects`` (the person tokens it carried)."""
    raw = pl.DataFrame(rows, schema={"seq": pl.Int64, "event": pl.String}, orient="row")
    frame = (
        raw.with_columns(pl.col("event").str.json_decode(_EVENT).alias("e"))
        .unnest("e")
        .with_columns(
            pl.col("time")
            .str.to_datetime(_ISO, time_unit="us")
            .dt.convert_time_zone(TIMEZONE)
            .alias("local_time"),
            pl.coalesce("user", "actor", "reviewer").alias("actor_name"),
            pl.col("agency").fill_null(NO_AGENCY),
            pl.col("event").str.extract_all(TOKEN.pattern).list.unique().alias("subjects"),
            pl.col("purpose").struct.field("case_no").alias("case_no"),
            pl.col("purpose").struct.field("document_no").alias("document_no"),
            pl.col("purpose").struct.field("case_name").alias("case_name"),
            pl.col("purpose").struct.field("purpose").alias("purpose_code"),
            pl.col("purpose").struct.field("legal_basis").alias("legal_basis"),
            pl.concat_list(
                pl.col("source_sql").list.eval(pl.element().struct.field("source")),
                pl.col("tables").list.eval(
                    pl.element().struct.field("table").str.split(".").list.first()
                ),
            )
            .list.unique()
            .list.sort()
            .alias("sources"),
        )
    )
    return _named_sources(frame)


def _named_sources(frame: pl.DataFrame) -> pl.DataFrame:
    """Refused queries have no plan; attribute them to the sources their SQL names, so a
    denial on household.persons counts for household."""
    missing = frame.filter(
        (pl.col("type") == "query") & (pl.col("sources").list.len().fill_null(0) == 0)
    )
    if missing.is_empty():
        return frame.with_columns(pl.col("sources").fill_null([]))
    named = pl.DataFrame(
        {
            "seq": missing["seq"],
            "named": [_sources_in(sql) for sql in missing["sql"].to_list()],
        },
        schema={"seq": pl.Int64, "named": pl.List(pl.String)},
    )
    return (
        frame.join(named, on="seq", how="left")
        .with_columns(
            pl.when(pl.col("named").is_not_null())
            .then(pl.col("named"))
            .otherwise(pl.col("sources"))
            .fill_null([])
            .alias("sources")
        )
        .drop("named")
    )


def _sources_in(sql: str | None) -> list[str]:
    if not sql:
        return []
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return []
    return sorted({t.db for t in tree.find_all(exp.Table) if t.db})


def load_frame(log: AuditLog, start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """Entries with ``start`` ≤ time < ``end`` (re-checked against the signed event time)."""
    frame = frame_from_rows(log.rows_between(start, end))
    return frame.filter(
        (pl.col("local_time") >= start.astimezone(TAIPEI))
        & (pl.col("local_time") < end.astimezone(TAIPEI))
    )


def queries(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("type") == "query")


def in_month(frame: pl.DataFrame, month: Month) -> pl.DataFrame:
    return frame.filter((pl.col("local_time") >= month.start) & (pl.col("local_time") < month.end))


def by_source(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per (query, source) — a federated query counts for every source it read."""
    return frame.with_columns(
        pl.when(pl.col("sources").list.len() == 0)
        .then(pl.lit([NO_SOURCE]))
        .otherwise(pl.col("sources"))
        .alias("source")
    ).explode("source")
