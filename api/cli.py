"""The ``civicfed`` command: parse arguments, call the engine, format. No SQL, no policy."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.audit_cli import audit_app
from api.governance_cli import applications_app, grants_app, reviews_app, users_app
from api.output import FORMATS, write_result
from engine import Federation, Purpose
from engine.config import default_config_path
from engine.errors import ConfigError, FederationError

app = typer.Typer(
    help="civicfed — federated, purpose-bound, audited queries over city data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
demo_app = typer.Typer(help="The Taipei demo scenario.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.add_typer(applications_app, name="applications")
app.add_typer(grants_app, name="grants")
app.add_typer(reviews_app, name="reviews")
console = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="civicfed.toml (default: $CIVICFED_CONFIG, ./civicfed.toml)"
    ),
]
UserOpt = Annotated[str, typer.Option("--user", "-u", help="the user the query runs as")]
CaseNameOpt = Annotated[str, typer.Option("--case-name", help="the case the query serves")]
PurposeOpt = Annotated[str, typer.Option("--purpose", help="purpose code from the registry")]
DocOpt = Annotated[str | None, typer.Option("--document-no", help="official document number")]
CaseOpt = Annotated[str | None, typer.Option("--case-no", help="case number")]
LegalOpt = Annotated[str | None, typer.Option("--legal-basis", help="legal basis")]


def _open(config: Path | None) -> Federation:
    return Federation.open(config or default_config_path())


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _purpose(
    case_name: str,
    purpose: str,
    document_no: str | None,
    case_no: str | None,
    legal_basis: str | None,
) -> Purpose:
    return Purpose(
        case_name=case_name,
        purpose=purpose,
        document_no=document_no,
        case_no=case_no,
        legal_basis=legal_basis,
    )


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="the SELECT to run")],
    user: UserOpt,
    case_name: CaseNameOpt,
    purpose: PurposeOpt,
    document_no: DocOpt = None,
    case_no: CaseOpt = None,
    legal_basis: LegalOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table | csv | json | parquet")
    ] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to a file")] = None,
    config: ConfigOpt = None,
) -> None:
    """Run a federated query as USER for the stated case."""
    if fmt not in FORMATS:
        raise _fail(f"--format must be one of {', '.join(FORMATS)}")
    try:
        with _open(config) as fed:
            table, report = fed.run(
                sql, user, _purpose(case_name, purpose, document_no, case_no, legal_basis)
            )
            write_result(table, fmt, console, output)
            if fmt == "table" and report.stats.truncated:
                err.print(f"[yellow]result capped at {report.plan.max_rows} rows by the grant[/]")
    except (FederationError, ConfigError, ValueError) as exc:
        raise _fail(_message(exc)) from None


@app.command()
def explain(
    sql: Annotated[str, typer.Argument(help="the SELECT to plan")],
    user: UserOpt,
    case_name: CaseNameOpt,
    purpose: PurposeOpt,
    document_no: DocOpt = None,
    case_no: CaseOpt = None,
    legal_basis: LegalOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Show what a query would send to each source, and what stays above."""
    try:
        with _open(config) as fed:
            plan = fed.explain(
                sql, user, _purpose(case_name, purpose, document_no, case_no, legal_basis)
            )
            console.print(str(plan), markup=False, highlight=False)
    except (FederationError, ConfigError) as exc:
        raise _fail(_message(exc)) from None


@app.command()
def sources(
    refresh: Annotated[bool, typer.Option("--refresh", help="rediscover schemas")] = False,
    config: ConfigOpt = None,
) -> None:
    """List the configured sources and their tables."""
    try:
        with _open(config) as fed:
            if refresh:
                fed.catalog.refresh()
            view = Table(header_style="bold cyan")
            for col in ("source", "kind", "owner", "tables"):
                view.add_column(col)
            for src in fed.sources():
                try:
                    tables = ", ".join(fed.tables(src["source"]))
                except FederationError as exc:
                    tables = f"[red]{exc.message}[/]"
                view.add_row(src["source"], src["kind"], src["owner"], tables)
            console.print(view)
    except (FederationError, ConfigError) as exc:
        raise _fail(_message(exc)) from None


@app.command()
def fields(
    user: UserOpt,
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List every column USER may use, with its mode and the grant behind it."""
    try:
        with _open(config) as fed:
            entries = fed.permitted_fields(user)
    except (FederationError, ConfigError) as exc:
        raise _fail(_message(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(entries, ensure_ascii=False, indent=1) + "\n")
        return
    view = Table(title=f"fields permitted to {user}", header_style="bold cyan")
    for col in (
        "table",
        "column",
        "type",
        "mode",
        "purposes",
        "row filter",
        "must pin",
        "max rows",
    ):
        view.add_column(col)
    for f in entries:
        view.add_row(
            f["table"],
            f["column"],
            f["type"],
            f["mode"] + (f":{f['mask']}" if f["mask"] else ""),
            ", ".join(f["purposes"]),
            f["row_filter"] or "",
            _required_text(f.get("required")),
            str(f["max_rows"] or ""),
        )
    console.print(view)


def _required_text(required: object) -> str:
    if not required:
        return ""
    if isinstance(required, list):
        return ", ".join(
            f"{r['column']} (≤{r['max_values']})" if isinstance(r, dict) else str(r)
            for r in required
        )
    return str(required)


@demo_app.command("setup")
def demo_setup(
    directory: Annotated[Path, typer.Option("--dir", "-d", help="where to write it")] = Path(
        "demo-data"
    ),
    scale: Annotated[int, typer.Option("--scale", help="number of persons")] = 100_000,
    servers: Annotated[
        bool, typer.Option("--servers", help="household on PostgreSQL, welfare on MariaDB")
    ] = False,
) -> None:
    """Generate the synthetic Taipei data and write civicfed.toml."""
    from demo.scenario import setup

    if scale < 100:
        raise _fail("--scale must be at least 100 persons")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(description: str, completed: float, total: float) -> None:
            if description not in tasks:
                tasks[description] = progress.add_task(description, total=total)
            progress.update(tasks[description], completed=completed, total=total)

        try:
            path = setup(directory, scale=scale, servers=servers, progress=report)
        except (OSError, ValueError, RuntimeError) as exc:
            raise _fail(f"demo setup failed: {exc}") from None
    console.print(f"[green]demo written[/] → {path}")


@demo_app.command("run")
def demo_run(
    directory: Annotated[Path, typer.Option("--dir", "-d", help="the demo directory")] = Path(
        "demo-data"
    ),
) -> None:
    """Show federated queries as the demo users."""
    from demo.runner import run_demo

    config = directory / "civicfed.toml"
    if not config.is_file():
        raise _fail(f"{config} not found; run `civicfed demo setup --dir {directory}` first")
    try:
        code = run_demo(directory, console)
    except (FederationError, ConfigError) as exc:
        raise _fail(_message(exc)) from None
    raise typer.Exit(code)


@app.command()
def serve(
    config: ConfigOpt = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="worker processes (they share data_dir)")
    ] = 1,
) -> None:
    """Serve the HTTP API (and the web pages) with uvicorn."""
    import os

    import uvicorn

    from api.app import app_from_config

    path = (config or default_config_path()).resolve()
    try:  # a bad configuration fails here, with a clear message, not in a worker
        web = app_from_config(path) if workers == 1 else None
        if web is None:
            Federation.open(path).close()
    except (ConfigError, FederationError) as exc:
        raise _fail(_message(exc)) from None
    if web is not None:
        uvicorn.run(web, host=host, port=port, log_level="info", access_log=False)
        return
    # Each worker process opens its own federation; the audit log and the metadata database
    # are shared through data_dir, as with several servers.
    os.environ["CIVICFED_CONFIG"] = str(path)
    uvicorn.run(
        "api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )


def _message(exc: Exception) -> str:
    if isinstance(exc, FederationError):
        suffix = f" (query {exc.query_id})" if exc.query_id else ""
        return f"{exc.code}: {exc.message}{suffix}"
    return str(exc)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
