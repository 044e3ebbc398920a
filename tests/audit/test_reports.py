"""The three monthly reports in CSV, Parquet and printable HTML with charts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from audit import AuditLog
from audit.frame import Month
from audit.monthly import MonthlyAudit, analyse_month
from audit.reports import write_reports
from tests.audit.activity import Activity, at

NOVEMBER = Month(2026, 11)


@pytest.fixture(scope="module")
def november(tmp_path_factory: pytest.TempPathFactory) -> MonthlyAudit:
    with AuditLog(tmp_path_factory.mktemp("reports")) as log:
        act = Activity(log)
        act.routine(dt.date(2026, 11, 2), dt.date(2026, 11, 7))
        act.query(at(dt.date(2026, 11, 4), 11), sources=("household", "welfare"))
        act.query(at(dt.date(2026, 11, 5), 11), outcome="denied")
        act.query(at(dt.date(2026, 11, 5), 23), user="clerk_b", agency="XINYI")
        return analyse_month(log, NOVEMBER)


def test_csv_reports_hold_records_contents_and_statistics(
    november: MonthlyAudit, tmp_path: Path
) -> None:
    files = write_reports(november, tmp_path, "csv")
    assert sorted(p.name for p in files) == [
        "query-contents-2026-11.csv",
        "usage-records-2026-11.csv",
        "usage-statistics-2026-11.csv",
    ]
    assert files[0].read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for spreadsheet programs
    records = pl.read_csv(tmp_path / "usage-records-2026-11.csv")
    assert records.height == 33 and set(records["outcome"]) == {"ok", "denied"}
    assert "case_no" in records.columns and "document_no" in records.columns
    contents = pl.read_csv(tmp_path / "query-contents-2026-11.csv")
    assert contents["sql"].str.contains("hmac:").all()
    stats = pl.read_csv(tmp_path / "usage-statistics-2026-11.csv")
    daan = stats.filter((pl.col("user") == "clerk_a") & (pl.col("source") == "household"))
    assert daan.select("queries", "ok", "denied").row(0) == (17, 16, 1)
    assert stats.filter(pl.col("source") == "welfare")["queries"].to_list() == [1]
    assert stats["queries"].sum() == 34  # the two-source query counts for both sources


def test_parquet_reports_match_the_csv_ones(november: MonthlyAudit, tmp_path: Path) -> None:
    write_reports(november, tmp_path, "parquet")
    write_reports(november, tmp_path, "csv")
    for name in ("usage-records", "query-contents", "usage-statistics"):
        parquet = pl.read_parquet(tmp_path / f"{name}-2026-11.parquet")
        assert parquet.height == pl.read_csv(tmp_path / f"{name}-2026-11.csv").height


def test_html_report_is_one_printable_page_with_png_charts(
    november: MonthlyAudit, tmp_path: Path
) -> None:
    files = write_reports(november, tmp_path, "html")
    page = files[0].read_text(encoding="utf-8")
    assert "系統使用情形統計表" in page and "系統使用紀錄" in page
    assert page.count("data:image/png;base64,") == 3
    assert "@media print" in page and "off_hours" in page
    for png in files[1:]:
        assert png.read_bytes().startswith(b"\x89PNG")
    assert {p.stem.rsplit("-", 2)[0] for p in files[1:]} == {
        "queries-per-day",
        "queries-per-source",
        "denials-per-day",
    }


def test_an_agency_sees_only_its_own_usage(november: MonthlyAudit, tmp_path: Path) -> None:
    write_reports(november, tmp_path, "csv", agency="XINYI")
    records = pl.read_csv(tmp_path / "usage-records-2026-11-XINYI.csv")
    assert set(records["agency"]) == {"XINYI"} and records.height == 16


def test_an_unknown_format_is_refused(november: MonthlyAudit, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="csv, parquet, html"):
        write_reports(november, tmp_path, "xlsx")
