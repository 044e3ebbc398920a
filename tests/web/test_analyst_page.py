"""The analyst's page in a browser: cross-database statistics with rows, a chart and the
suppressed groups; the per-source SQL; CSV and Arrow downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from demo.scenario import sample_queries
from tests.web.conftest import LiveSite, screenshot, sign_in


def _statistics(site: LiveSite) -> Any:
    (query,) = [
        q for q in sample_queries(site.directory, as_intended=True) if q.user == "analyst_dbas"
    ]
    return query


def _set_case(page: Any, purpose: dict[str, str]) -> None:
    page.get_by_label("案號").fill(purpose["case_no"])
    page.get_by_label("案由").fill(purpose["case_name"])
    page.get_by_label("查詢目的").select_option(purpose["purpose"])
    page.get_by_role("button", name="確認案件 Set case").click()
    page.get_by_text("已設定案件").wait_for()


def test_analyst_runs_the_cross_database_statistics(page: Any, site: LiveSite) -> None:
    query = _statistics(site)
    sign_in(page, site, "analyst_dbas")
    assert page.url.endswith("/web/analyst")
    # The field set is beside the editor: the masked birth date and the join-only ID.
    fields = page.locator("#fields").inner_text()
    assert "year_only" in fields and "join only" in fields and "min group" in fields

    _set_case(page, query.purpose)
    page.get_by_label("SQL").fill(query.sql)
    page.get_by_role("button", name="執行 Run").click()
    page.locator("#result table").wait_for()
    rows = page.locator("#result tbody tr")
    assert rows.count() > 0
    assert "persons" in page.locator("#result thead").inner_text()
    assert page.locator("#chart svg rect.bar").count() == rows.count()
    suppressed = page.locator("#suppressed").inner_text()
    assert "suppressed" in suppressed
    screenshot(page, "analyst-statistics")

    # Explain shows the statement each source gets.
    page.get_by_role("button", name="說明執行計畫 Explain").click()
    page.locator("#plan .scan").first.wait_for()
    sources = {
        page.locator("#plan .scan").nth(i).get_attribute("data-source")
        for i in range(page.locator("#plan .scan").count())
    }
    assert sources == {"household", "welfare"}

    # CSV from the rows on screen; Arrow from the server.
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="下載 CSV Download CSV").click()
    csv_text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert lines[0] == "district,program,persons,monthly_total"
    assert len(lines) == rows.count() + 1
    with page.expect_download() as arrow_download:
        page.get_by_role("button", name="下載 Arrow Download Arrow").click()
    assert arrow_download.value.suggested_filename.endswith(".arrows")
    table = pa.ipc.open_stream(Path(arrow_download.value.path()).read_bytes()).read_all()
    assert table.column_names == ["district", "program", "persons", "monthly_total"]
    assert table.num_rows == rows.count()


def test_analyst_sees_masked_columns_and_refusals(page: Any, site: LiveSite) -> None:
    sign_in(page, site, "analyst_dbas")
    _set_case(page, _statistics(site).purpose)
    page.get_by_label("SQL").fill(
        "SELECT birth_date, count(*) AS persons FROM household.persons GROUP BY 1 ORDER BY 1"
    )
    page.get_by_role("button", name="執行 Run").click()
    page.locator("#result table").wait_for()
    header = page.locator("#result th", has_text="birth_date")
    assert "已遮罩 masked" in header.inner_text()
    # year_only: every birth date is the first of January.
    dates = page.locator("#result tbody td:first-child").all_inner_texts()
    assert dates and all(d.endswith("-01-01") for d in dates)

    page.get_by_label("SQL").fill("SELECT national_id FROM household.persons")
    page.get_by_role("button", name="執行 Run").click()
    alert = page.locator("#sql-messages [role=alert]")
    alert.wait_for()
    assert "access_denied" in alert.inner_text()
    assert page.locator("#result table").count() == 0
