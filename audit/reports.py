"""The three reports the city's procedure names, for one month:

- usage records (系統使用紀錄): who queried, when, for which case, with what outcome;
- query contents (查詢內容紀錄): the statements as sent, rewritten and sent to each source;
- usage statistics (系統使用情形統計表): counts per agency, user and source.

Written as CSV (UTF-8 with a BOM, so spreadsheet programs show the Chinese text), Parquet, or
one printable HTML page with PNG charts.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import polars as pl

from audit.charts import write_charts
from audit.frame import by_source
from audit.monthly import MonthlyAudit

FORMATS = ("csv", "parquet", "html")
HTML_RECORD_LIMIT = 2000  # a printable page; the full records are in the CSV/Parquet files
_TIME = pl.col("local_time").dt.strftime("%Y-%m-%d %H:%M:%S").alias("time")

TITLES = {
    "usage-records": "系統使用紀錄 Usage records",
    "query-contents": "查詢內容紀錄 Query contents",
    "usage-statistics": "系統使用情形統計表 Usage statistics",
}


def usage_records(audit: MonthlyAudit) -> pl.DataFrame:
    return audit.queries.sort("seq").select(
        "seq",
        _TIME,
        "user",
        "agency",
        pl.col("roles").list.join(", ").alias("roles"),
        "outcome",
        pl.col("sources").list.join(", ").alias("sources"),
        "rows",
        "duration_ms",
        "case_no",
        "document_no",
        "case_name",
        pl.col("purpose_code").alias("purpose"),
        "legal_basis",
        "query_id",
    )


def query_contents(audit: MonthlyAudit) -> pl.DataFrame:
    statements = pl.col("source_sql").list.eval(
        pl.format(
            "{}: {}", pl.element().struct.field("source"), pl.element().struct.field("statement")
        )
    )
    tables = pl.col("tables").list.eval(
        pl.format(
            "{}({})",
            pl.element().struct.field("table"),
            pl.element().struct.field("columns").list.join(", "),
        )
    )
    return audit.queries.sort("seq").select(
        "seq",
        _TIME,
        "user",
        "agency",
        "query_id",
        "sql",
        "rewritten_sql",
        statements.list.join("\n").alias("source_statements"),
        tables.list.join("; ").alias("tables_and_columns"),
        "outcome",
        "reason",
    )


def usage_statistics(audit: MonthlyAudit) -> pl.DataFrame:
    outcome = pl.col("outcome")
    return (
        by_source(audit.queries)
        .group_by("agency", "user", "source")
        .agg(
            queries=pl.len(),
            ok=(outcome == "ok").sum(),
            denied=(outcome == "denied").sum(),
            invalid=(outcome == "invalid").sum(),
            error=(outcome == "error").sum(),
            rows_returned=pl.col("rows").sum(),
            persons_looked_up=pl.col("subjects")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .n_unique(),
        )
        .with_columns(pl.lit(audit.month.label).alias("month"))
        .select(
            "month", "agency", "user", "source", pl.exclude("month", "agency", "user", "source")
        )
        .sort("agency", "user", "source")
    )


def write_reports(
    audit: MonthlyAudit, directory: Path, fmt: str, agency: str | None = None
) -> list[Path]:
    """Write the month's reports into ``directory``; ``agency`` limits them to one agency
    (an agency manager reads their own agency's usage). Returns the files written."""
    if fmt not in FORMATS:
        raise ValueError(f"report format must be one of {', '.join(FORMATS)}")
    if agency is not None:
        own = audit.queries.filter(pl.col("agency") == agency)
        audit = MonthlyAudit(
            audit.month,
            audit.entries.filter(pl.col("agency") == agency),
            own,
            audit.flags.filter(pl.col("seq").is_in(own["seq"].implode())),
        )
    directory.mkdir(parents=True, exist_ok=True)
    label = audit.month.label + (f"-{agency}" if agency else "")
    reports = {
        "usage-records": usage_records(audit),
        "query-contents": query_contents(audit),
        "usage-statistics": usage_statistics(audit),
    }
    if fmt == "html":
        charts = write_charts(audit, directory, label)
        page = directory / f"audit-report-{label}.html"
        page.write_text(_page(audit, reports, charts, label), encoding="utf-8")
        return [page, *charts]
    written = []
    for name, frame in reports.items():
        path = directory / f"{name}-{label}.{fmt}"
        if fmt == "csv":
            frame.write_csv(path, include_bom=True)
        else:
            frame.write_parquet(path)
        written.append(path)
    return written


def _page(
    audit: MonthlyAudit, reports: dict[str, pl.DataFrame], charts: list[Path], label: str
) -> str:
    q = audit.queries
    refused = q.filter(pl.col("outcome").is_in(["denied", "invalid"])).height
    summary = (
        f"<p>{q.height} queries by {q['user'].n_unique()} users in "
        f"{q['agency'].n_unique()} agencies; {refused} refused; "
        f"{audit.flags['seq'].n_unique()} flagged by anomaly rules.</p>"
    )
    images = "".join(
        f'<figure><img alt="{p.stem}" src="data:image/png;base64,'
        f'{base64.b64encode(p.read_bytes()).decode()}"></figure>'
        for p in charts
    )
    records = reports["usage-records"]
    cut = ""
    if records.height > HTML_RECORD_LIMIT:
        cut = (
            f"<p>First {HTML_RECORD_LIMIT} of {records.height} records; all are in "
            f"usage-records-{label}.csv.</p>"
        )
    sections = [
        f"<h2>{TITLES['usage-statistics']}</h2>{_table(reports['usage-statistics'])}",
        f"<h2>Anomaly flags</h2>{_table(audit.flags)}",
        f"<h2>{TITLES['usage-records']}</h2>{cut}{_table(records.head(HTML_RECORD_LIMIT))}",
    ]
    return f"""<!doctype html>
<html lang="zh-Hant"><head><meta charset="utf-8">
<title>civicfed audit report {html.escape(label)}</title>
<style>
body {{ font-family: "Noto Sans TC", "Microsoft JhengHei", sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; font-size: 9pt; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #999; padding: 2px 5px; text-align: left; vertical-align: top; }}
th {{ background: #eee; }}
figure {{ display: inline-block; margin: 0 1em 1em 0; }}
img {{ max-width: 30em; }}
@media print {{ h2 {{ page-break-before: always; }} h2:first-of-type {{ page-break-before: auto; }}
  thead {{ display: table-header-group; }} tr {{ page-break-inside: avoid; }} }}
</style></head><body>
<h1>稽核報表 Audit report {html.escape(label)}</h1>
{summary}
{images}
{"".join(sections)}
</body></html>
"""


def _table(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in frame.iter_rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
