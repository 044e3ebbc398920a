"""`civicfed demo run`: the demo users at work — a clerk's lookup, refusals with their reasons,
an analyst's statistics that expose no one — and the audit log verified afterwards."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax

from api.output import rich_table
from audit import verify_log
from demo.scenario import CONFIG_FILE, read_facts, sample_queries
from engine import Federation
from engine.errors import FederationError

CLERK_CASE = {
    "document_no": "北市安社字第1133012345號",
    "case_no": "113-0042",
    "case_name": "低收入戶資格複查",
    "purpose": "welfare-eligibility",
}


def run_demo(directory: Path, console: Console) -> int:
    """Run the demo and return a process exit code (0 when everything went as expected)."""
    failures = 0
    person = read_facts(directory)["lookup_person"]["national_id"]
    with Federation.open(directory / CONFIG_FILE) as fed:
        for sample in sample_queries(directory, as_intended=True):
            failures += not _show_query(
                fed, console, sample.title, sample.user, sample.sql, sample.purpose
            )

        refusals = [
            (
                "拒絕：欄位未授權 (a column the grant does not include)",
                "clerk_daan",
                f"SELECT name, phone FROM household.persons WHERE national_id = '{person}'",
                CLERK_CASE,
            ),
            (
                "拒絕：未指定身分證號 (the grant requires a pinned national ID)",
                "clerk_daan",
                "SELECT name, address FROM household.persons WHERE birth_date < DATE '1950-01-01'",
                CLERK_CASE,
            ),
            (
                "拒絕：統計用途不得查個人資料 (aggregate-only: no raw rows)",
                "analyst_dbas",
                "SELECT district, birth_date FROM household.persons",
                {"case_no": "113-STAT-007", "case_name": "人口統計", "purpose": "statistics"},
            ),
            (
                "拒絕：未敘明案由 (no case, no query)",
                "clerk_daan",
                f"SELECT name FROM household.persons WHERE national_id = '{person}'",
                {"purpose": "welfare-eligibility"},
            ),
        ]
        for title, user, sql, purpose in refusals:
            failures += not _show_refusal(fed, console, title, user, sql, purpose)

        console.rule("[bold]列管範圍 (the row filter: another district reads as no rows)")
        outside = fed.query(
            "SELECT count(*) AS n FROM household.persons "
            f"WHERE national_id IN ('{person}') AND district <> '大安區'",
            "clerk_daan",
            CLERK_CASE,
        )
        console.print(
            f"clerk_daan, persons outside 大安區 matching the case: "
            f"{outside.column('n')[0].as_py()}"
        )
        data_dir = fed.loaded.data_dir

    console.rule("[bold]稽核紀錄驗證 (audit log verification)")
    result = verify_log(data_dir)
    console.print(("[green]" if result.ok else "[red]") + result.message() + "[/]")
    return 1 if failures or not result.ok else 0


def _show_query(
    fed: Federation, console: Console, title: str, user: str, sql: str, purpose: dict[str, Any]
) -> bool:
    console.rule(f"[bold]{title}")
    console.print(
        f"user [cyan]{user}[/]  case [cyan]{purpose['case_name']}[/]  "
        f"purpose [cyan]{purpose['purpose']}[/]"
    )
    console.print(Syntax(sql, "sql", word_wrap=True))
    try:
        started = time.perf_counter()
        table, report = fed.run(sql, user, purpose)
        elapsed = (time.perf_counter() - started) * 1000
    except FederationError as exc:
        console.print(f"[red]{exc.code}: {exc.message}[/]")
        return False
    for scan in report.plan.scans:
        console.print(f"  [dim]→ {scan.source} ({scan.kind}):[/] {scan.statement}", highlight=False)
    console.print(rich_table(table, max_rows=15))
    note = f"{table.num_rows} rows in {elapsed:.1f} ms (query {report.query_id[:12]})"
    if report.stats.suppressed_groups:
        note += f"; {report.stats.suppressed_groups} groups under the minimum size removed"
    console.print(f"[green]{note}[/]")
    return True


def _show_refusal(
    fed: Federation, console: Console, title: str, user: str, sql: str, purpose: dict[str, Any]
) -> bool:
    console.rule(f"[bold]{title}")
    console.print(f"user [cyan]{user}[/]")
    console.print(Syntax(sql, "sql", word_wrap=True))
    try:
        fed.query(sql, user, purpose)
    except FederationError as exc:
        console.print(Panel(f"{exc.code}: {exc.message}", title="refused", style="yellow"))
        return True
    console.print("[red]expected a refusal, but the query ran[/]")
    return False
