"""``civicfed audit …`` through typer's test runner, over a log the engine wrote."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
import rfc8785
from typer.testing import CliRunner

from api.cli import app
from audit import AuditLog
from audit.checkpoint import Checkpoint, NoteVerifier
from audit.hashing import leaf_hash
from audit.merkle import verify_inclusion
from engine import Federation, Purpose
from engine.errors import AccessDenied
from tests.audit.activity import ALICE, Activity, at, write_config

runner = CliRunner()


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    path = write_config(tmp_path)
    with AuditLog(tmp_path / "var") as log:  # October: routine work and one night query
        act = Activity(log)
        act.routine(dt.date(2026, 10, 1), dt.date(2026, 11, 1))
        act.query(at(dt.date(2026, 10, 14), 23), user="clerk_b", agency="XINYI")
    with Federation.open(path) as fed:
        purpose = Purpose(case_name="複查", purpose="p", case_no="113-1")
        fed.query(f"SELECT name FROM s.persons WHERE national_id = '{ALICE}'", "u", purpose)
        with pytest.raises(AccessDenied):
            fed.query(
                f"SELECT name FROM s.persons WHERE national_id = '{ALICE}'",
                "u",
                Purpose(case_name="x", purpose="q", case_no="9"),
            )
    return path


def test_verify_passes_on_an_intact_log_and_names_the_first_bad_entry(config: Path) -> None:
    out = runner.invoke(app, ["audit", "verify", "-c", str(config)])
    assert out.exit_code == 0, out.output
    assert "intact" in out.output
    with sqlite3.connect(config.parent / "var" / "audit.sqlite") as conn:
        conn.execute(
            "UPDATE audit_events SET event = replace(event, 'clerk_a', 'clerk_z') WHERE seq = 7"
        )
    out = runner.invoke(app, ["audit", "verify", "-c", str(config)])
    assert out.exit_code == 1
    assert "first bad seq 7" in out.output


def test_verify_with_a_pinned_key_that_is_not_the_logs_fails(config: Path) -> None:
    from audit.checkpoint import NoteSigner

    stranger = NoteSigner.generate("civicfed/audit").verifier.vkey
    out = runner.invoke(app, ["audit", "verify", "-c", str(config), "--public-key", stranger])
    assert out.exit_code == 1
    pinned = config.parent / "var" / "audit-checkpoints" / "log.pub"
    out = runner.invoke(app, ["audit", "verify", "-c", str(config), "--public-key", str(pinned)])
    assert out.exit_code == 0, out.output


def test_sample_is_reproducible_and_recorded(config: Path) -> None:
    args = ["audit", "sample", "--month", "2026-10", "--seed", "7", "-f", "json", "-c", str(config)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    picks = json.loads(first.stdout)
    again = json.loads(runner.invoke(app, [*args, "--no-record"]).stdout)
    assert [p["query_id"] for p in picks] == [p["query_id"] for p in again]
    assert {p["agency"] for p in picks} == {"DAAN", "XINYI"}
    night = [p for p in picks if p["flagged"]]
    assert len(night) == 1 and night[0]["reasons"][0].startswith("off_hours")
    with sqlite3.connect(config.parent / "var" / "audit.sqlite") as conn:
        draws = conn.execute("SELECT event FROM audit_events WHERE type = 'sample'").fetchall()
    assert len(draws) == 1 and json.loads(draws[0][0])["seed"] == "7"
    table = runner.invoke(app, [*args[:-4], "-c", str(config), "--no-record"])
    assert table.exit_code == 0 and "per agency and source" in table.output


def test_anomalies_lists_each_flag_with_its_reason(config: Path) -> None:
    out = runner.invoke(
        app, ["audit", "anomalies", "-m", "2026-10", "-f", "csv", "-c", str(config)]
    )
    assert out.exit_code == 0, out.output
    lines = out.stdout.strip().splitlines()
    assert lines[0] == '"seq","query_id","user","rule","reason"'
    assert len(lines) == 2 and "off_hours" in lines[1] and "23:00" in lines[1]


def test_report_writes_the_files(config: Path, tmp_path: Path) -> None:
    target = tmp_path / "reports"
    for fmt in ("csv", "parquet", "html"):
        out = runner.invoke(
            app,
            ["audit", "report", "-m", "2026-10", "-f", fmt, "-o", str(target), "-c", str(config)],
        )
        assert out.exit_code == 0, out.output
    names = {p.name for p in target.iterdir()}
    assert "audit-report-2026-10.html" in names and "usage-statistics-2026-10.parquet" in names
    assert "usage-records-2026-10.csv" in names and "queries-per-day-2026-10.png" in names
    bad = runner.invoke(app, ["audit", "report", "-m", "2026-10", "-f", "xlsx", "-c", str(config)])
    assert bad.exit_code == 2


def test_export_carries_proofs_anyone_can_check(config: Path, tmp_path: Path) -> None:
    target = tmp_path / "export.jsonl"
    out = runner.invoke(app, ["audit", "export", "-o", str(target), "-c", str(config)])
    assert out.exit_code == 0, out.output
    header, *entries = [json.loads(line) for line in target.read_text().splitlines()]
    checkpoint = Checkpoint.open(
        header["checkpoint"], NoteVerifier.from_vkey(header["verifier_key"])
    )
    assert checkpoint.size == len(entries) == header["tree_size"]
    for entry in entries:
        leaf = leaf_hash(rfc8785.dumps(entry["event"]))
        assert leaf.hex() == entry["leaf_hash"]
        proof = [bytes.fromhex(h) for h in entry["inclusion_proof"]]
        assert verify_inclusion(entry["leaf_index"], checkpoint.size, leaf, proof, checkpoint.root)
    assert ALICE not in target.read_text()


def test_who_accessed_finds_every_query_that_named_the_person(config: Path) -> None:
    out = runner.invoke(app, ["audit", "who-accessed", ALICE, "-f", "json", "-c", str(config)])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert [(r["user"], r["outcome"], r["case_no"]) for r in rows] == [
        ("u", "ok", "113-1"),
        ("u", "denied", "9"),
    ]
    nobody = runner.invoke(app, ["audit", "who-accessed", "A100000001", "-c", str(config)])
    assert "no query" in nobody.output
    bad = runner.invoke(app, ["audit", "who-accessed", "12345", "-c", str(config)])
    assert bad.exit_code == 2


def test_review_steps_from_the_command_line(config: Path) -> None:
    with AuditLog(config.parent / "var") as log:
        query_id = log.who_accessed(ALICE)[0]["query_id"]
    base = ["audit", "review", query_id, "-c", str(config)]
    own = runner.invoke(
        app, [*base, "-r", "u", "--step", "finding", "--finding", "x", "--verdict", "justified"]
    )
    assert own.exit_code == 2 and "cannot review" in own.output
    ok = runner.invoke(
        app,
        [
            *base,
            "-r",
            "auditor",
            "--step",
            "finding",
            "--finding",
            "有公文",
            "--verdict",
            "justified",
        ],
    )
    assert ok.exit_code == 0, ok.output
    signed = runner.invoke(app, [*base, "-r", "head", "--step", "sign-off"])
    assert signed.exit_code == 0, signed.output
    unknown = runner.invoke(app, [*base, "-r", "nobody", "--step", "finding"])
    assert unknown.exit_code == 2 and "not a user" in unknown.output


def test_checkpoint_prints_the_signed_note_and_key(config: Path) -> None:
    out = runner.invoke(app, ["audit", "checkpoint", "-c", str(config)])
    assert out.exit_code == 0
    note, key = out.stdout.split("\nverifier key: ")
    assert Checkpoint.open(note, NoteVerifier.from_vkey(key)).size > 0


def test_bad_month_and_missing_config_are_clear_errors(config: Path, tmp_path: Path) -> None:
    out = runner.invoke(app, ["audit", "anomalies", "-m", "2026-13", "-c", str(config)])
    assert out.exit_code == 2 and "YYYY-MM" in out.output
    out = runner.invoke(app, ["audit", "verify", "-c", str(tmp_path / "none.toml")])
    assert out.exit_code == 2 and "not found" in out.output
