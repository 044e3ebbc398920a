"""`civicfed demo run`: federated queries as the demo users, a denial, and the audit trail."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax

from api.output import rich_table
from demo.catalog import FULL_ACCESS_USER
from demo.scenario import CONFIG_FILE, read_facts, sample_queries
from engine import Federation
from engine.errors import FederationError


def run_demo(directory: Path, console: Console) -> int:
    """Run the demo's queries and return a process exit code (0 when all went as expected)."""
    failures = 0
    with Federation.open(directory / CONFIG_FILE) as fed:
        for sample in sample_queries(directory):
            console.rule(f"[bold]{sample.title}")
            console.print(
                f"user [cyan]{sample.user}[/]  case [cyan]{sample.purpose['case_name']}"
                f"[/]  purpose [cyan]{sample.purpose['purpose']}[/]"
            )
            console.print(Syntax(sample.sql, "sql", word_wrap=True))
            try:
                started = time.perf_counter()
                table, report = fed.run(sample.sql, sample.user, sample.purpose)
                elapsed = (time.perf_counter() - started) * 1000
            except FederationError as exc:
                failures += 1
                console.print(f"[red]{exc.code}: {exc.message}[/]")
                continue
            for scan in report.plan.scans:
                console.print(
                    f"  [dim]→ {scan.source} ({scan.kind}):[/] {scan.statement}",
                    markup=True,
                    highlight=False,
                )
            console.print(rich_table(table, max_rows=15))
            console.print(
                f"[green]{table.num_rows} rows in {elapsed:.1f} ms[/] "
                f"(query {report.query_id[:12]})"
            )

        console.rule("[bold]拒絕：用途不符 (a denial and its reason)")
        person = read_facts(directory)["lookup_person"]["national_id"]
        denied_sql = f"SELECT name, phone FROM household.persons WHERE national_id = '{person}'"
        denied_purpose = {
            "case_no": "113-0099",
            "case_name": "查詢電話",
            "purpose": "welfare-eligibility",
        }
        console.print(f"user [cyan]{FULL_ACCESS_USER}[/]  purpose [cyan]welfare-eligibility[/]")
        console.print(Syntax(denied_sql, "sql", word_wrap=True))
        try:
            fed.query(denied_sql, FULL_ACCESS_USER, denied_purpose)
            console.print("[red]expected a denial, but the query ran[/]")
            failures += 1
        except FederationError as exc:
            console.print(Panel(f"{exc.code}: {exc.message}", title="denied", style="yellow"))

        console.rule("[bold]拒絕：未敘明案由 (no case, no query)")
        try:
            fed.query(denied_sql, FULL_ACCESS_USER, {"purpose": "data-maintenance"})
            failures += 1
        except FederationError as exc:
            console.print(Panel(f"{exc.code}: {exc.message}", title="denied", style="yellow"))

        events = getattr(fed.audit, "events", None)
        if events is not None:
            outcomes: dict[str, int] = {}
            for event in events:
                outcomes[event["outcome"]] = outcomes.get(event["outcome"], 0) + 1
            console.rule("[bold]audit")
            console.print(
                f"{len(events)} events recorded: "
                + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
            )
    return 1 if failures else 0
