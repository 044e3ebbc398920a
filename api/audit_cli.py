"""``civicfed audit …``: verify, sample, flag, report, export and review the audit log.

Thin: every command loads the configuration for ``data_dir``, calls the audit package and
formats what comes back. No data source is opened.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console

from api.output import write_result
from audit import AuditError, AuditLog, Reviewer, ReviewError, record_review, verify_log
from audit.checkpoint import NoteError
from audit.export import export_jsonl
from audit.frame import TAIPEI, Month
from audit.governance import REVIEW_STEPS, VERDICTS
from audit.monthly import analyse_month
from audit.reports import FORMATS as REPORT_FORMATS
from audit.reports import write_reports
from audit.sampling import record_draw
from audit.sampling import sample as draw_sample
from audit.verify import load_verifier
from engine.config import LoadedConfig, default_config_path, load_config
from engine.errors import ConfigError

audit_app = typer.Typer(
    help="The tamper-evident audit log: verify, sample, review, report.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)
TABLE_FORMATS = ("table", "csv", "json")
WHO = [
    "seq",
    "time",
    "user",
    "agency",
    "outcome",
    "case_no",
    "document_no",
    "case_name",
    "purpose",
    "query_id",
]

_SHORT_TIME = pl.col("local_time").dt.strftime("%m-%d %H:%M").alias("time")

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="civicfed.toml (default: $CIVICFED_CONFIG, ./civicfed.toml)"
    ),
]
MonthOpt = Annotated[str, typer.Option("--month", "-m", help="the month, YYYY-MM (Taipei time)")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table | csv | json")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="write to a file")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    return typer.Exit(code)


def _config(config: Path | None) -> LoadedConfig:
    try:
        return load_config(config or default_config_path())
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _open_log(config: Path | None) -> AuditLog:
    loaded = _config(config)
    try:
        return AuditLog(loaded.data_dir)
    except (AuditError, OSError) as exc:
        raise _fail(f"cannot open the audit log in {loaded.data_dir}: {exc}") from None


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise _fail(str(exc)) from None


def _taipei(value: object) -> str | None:
    """An event time as Taipei local time, the way clerks and auditors read it."""
    if not isinstance(value, str):
        return None
    return dt.datetime.fromisoformat(value).astimezone(TAIPEI).isoformat(timespec="seconds")


def _show(
    frame: pl.DataFrame,
    fmt: str,
    output: Path | None,
    title: str,
    terminal: list[str | pl.Expr] | None = None,
) -> None:
    """Print or write ``frame``; ``terminal`` picks the columns worth a narrow screen."""
    if fmt not in TABLE_FORMATS:
        raise _fail(f"--format must be one of {', '.join(TABLE_FORMATS)}")
    if fmt == "table" and output is None and terminal:
        frame = frame.select(terminal)
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    if fmt != "json":  # CSV and terminal tables hold text; JSON keeps the lists
        frame = frame.with_columns(pl.col(name).list.join("; ") for name in lists)
    write_result(frame.to_arrow(), fmt, console, output, title)


@audit_app.command()
def verify(
    config: ConfigOpt = None,
    public_key: Annotated[
        str | None,
        typer.Option("--public-key", help="pin the log's verifier key (text or a file)"),
    ] = None,
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option("--checkpoint", help="a checkpoint kept from earlier that must still hold"),
    ] = None,
) -> None:
    """Recompute every hash and check the signed checkpoints; exit 1 naming the first bad
    entry when anything disagrees."""
    loaded = _config(config)
    if not (loaded.data_dir / "audit.sqlite").is_file():
        raise _fail(f"no audit log in {loaded.data_dir}")
    try:
        verifier = load_verifier(loaded.data_dir, public_key)
        kept = [p.read_text(encoding="utf-8") for p in checkpoint or []]
        result = verify_log(loaded.data_dir, verifier, kept)
    except (NoteError, OSError) as exc:
        raise _fail(f"cannot verify: {exc}") from None
    if result.ok:
        console.print(f"[green]✓[/] {result.message()}", highlight=False)
        return
    err.print(f"[bold red]✗[/] {result.message()}", highlight=False)
    raise typer.Exit(1)


@audit_app.command()
def sample(
    month: MonthOpt,
    seed: Annotated[
        str, typer.Option("--seed", "-s", help="the draw's seed; same seed, same picks")
    ],
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    auditor: Annotated[
        str | None, typer.Option("--auditor", help="who draws the sample (recorded in the log)")
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record/--no-record",
            help="record the draw in the log, so redrawing with other seeds shows",
        ),
    ] = True,
    config: ConfigOpt = None,
) -> None:
    """Draw the month's review sample: ceil(5%) per agency and source, plus every flagged query."""
    the_month = _month(month)
    with _open_log(config) as log:
        analysed = analyse_month(log, the_month)
        picks, groups = draw_sample(analysed.queries, analysed.flags, seed)
        if record:
            record_draw(log, the_month.label, seed, auditor, picks)
    _show(
        picks,
        fmt,
        output,
        f"review sample {the_month.label} (seed {seed})",
        [_SHORT_TIME, "seq", "user", "agency", "sources", "outcome", "case_no", "reasons"],
    )
    if fmt == "table":
        _show(groups, "table", None, "per agency and source")


@audit_app.command()
def anomalies(
    month: MonthOpt, fmt: FormatOpt = "table", output: OutputOpt = None, config: ConfigOpt = None
) -> None:
    """List the month's anomaly flags, each with its rule and why."""
    the_month = _month(month)
    with _open_log(config) as log:
        flags = analyse_month(log, the_month).flags
    _show(flags, fmt, output, f"anomaly flags {the_month.label}", ["seq", "user", "rule", "reason"])


@audit_app.command()
def report(
    month: MonthOpt,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv | parquet | html")] = "html",
    output: Annotated[Path, typer.Option("--output", "-o", help="folder for the files")] = Path(
        "audit-reports"
    ),
    agency: Annotated[str | None, typer.Option("--agency", help="only this agency's usage")] = None,
    config: ConfigOpt = None,
) -> None:
    """Write usage records, query contents and usage statistics for the month."""
    if fmt not in REPORT_FORMATS:
        raise _fail(f"--format must be one of {', '.join(REPORT_FORMATS)}")
    the_month = _month(month)
    with _open_log(config) as log:
        files = write_reports(analyse_month(log, the_month), output, fmt, agency)
    for path in files:
        console.print(f"[green]wrote[/] {path}", highlight=False)


@audit_app.command()
def export(
    output: OutputOpt = None,
    first: Annotated[int, typer.Option("--from-seq", help="first entry")] = 1,
    last: Annotated[int | None, typer.Option("--to-seq", help="last entry")] = None,
    config: ConfigOpt = None,
) -> None:
    """Dump entries as JSON lines with their inclusion proofs and a signed checkpoint."""
    with _open_log(config) as log:
        try:
            if output is None:
                count = export_jsonl(log, sys.stdout, first, last)
            else:
                with output.open("w", encoding="utf-8") as f:
                    count = export_jsonl(log, f, first, last)
        except AuditError as exc:
            raise _fail(str(exc)) from None
    err.print(f"exported {count} entries", highlight=False)


@audit_app.command("who-accessed")
def who_accessed(
    national_id: Annotated[str, typer.Argument(help="the person's national ID")],
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Every query that named this person: who, when, for which case, with what outcome."""
    with _open_log(config) as log:
        try:
            events = log.who_accessed(national_id)
        except ValueError as exc:
            raise _fail(str(exc)) from None
    rows = [
        {
            "seq": e["seq"],
            "time": _taipei(e.get("time")),
            "user": e.get("user"),
            "agency": e.get("agency"),
            "outcome": e.get("outcome"),
            "case_no": (e.get("purpose") or {}).get("case_no"),
            "document_no": (e.get("purpose") or {}).get("document_no"),
            "case_name": (e.get("purpose") or {}).get("case_name"),
            "purpose": (e.get("purpose") or {}).get("purpose"),
            "query_id": e.get("query_id"),
        }
        for e in events
    ]
    if fmt == "table" and not rows:
        console.print("no query in the log named this person")
        return
    frame = pl.DataFrame(rows, schema={k: pl.Int64 if k == "seq" else pl.String for k in WHO})
    short: list[str | pl.Expr] = ["seq", pl.col("time").str.slice(0, 16), "user", "agency"]
    _show(frame, fmt, output, "queries that named this person", [*short, "outcome", "purpose"])


@audit_app.command()
def review(
    query_id: Annotated[str, typer.Argument(help="the reviewed query's id")],
    reviewer: Annotated[str, typer.Option("--reviewer", "-r", help="who records this step")],
    step: Annotated[str, typer.Option("--step", help=" | ".join(REVIEW_STEPS))],
    finding: Annotated[str | None, typer.Option("--finding", help="what the review found")] = None,
    verdict: Annotated[str | None, typer.Option("--verdict", help=" | ".join(VERDICTS))] = None,
    evidence: Annotated[
        str | None, typer.Option("--evidence", help="evidence requested or received")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="a remark")] = None,
    config: ConfigOpt = None,
) -> None:
    """Record one review step (finding, evidence requested/received, sign-off) in the log."""
    loaded = _config(config)
    user = next((u for u in loaded.config.users if u.name == reviewer), None)
    if user is None:
        raise _fail(f"{reviewer} is not a user in {loaded.path}")
    who = Reviewer(user.name, user.agency, tuple(user.roles))
    with _open_log(config) as log:
        try:
            seq = record_review(
                log,
                query_id,
                who,
                step.replace("-", "_"),
                finding=finding,
                verdict=verdict,
                evidence=evidence,
                note=note,
            )
        except ReviewError as exc:
            raise _fail(str(exc)) from None
    console.print(f"[green]recorded[/] {step} for query {query_id} as entry {seq}")


@audit_app.command()
def checkpoint(config: ConfigOpt = None) -> None:
    """Sign and print the current checkpoint and the key to verify it with."""
    with _open_log(config) as log:
        note = log.checkpoint()
        vkey = log.verifier.vkey
    sys.stdout.write((note or "(the log is empty)\n") + f"\nverifier key: {vkey}\n")
