"""The engine writes to the real log by default: one entry per query whatever its outcome, no
plaintext national ID in any file, and no result when the entry cannot be written."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from audit import AuditLog, MemorySink, verify_log
from engine import Federation, Purpose
from engine.errors import AccessDenied, InvalidQuery, PurposeRequired, SourceUnavailable
from tests.audit.activity import ALICE, BOB, write_config

PURPOSE = Purpose(case_name="低收入戶資格複查", purpose="p", case_no="113-0042")


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


def events(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "audit.sqlite") as conn:
        return [r[0] for r in conn.execute("SELECT event FROM audit_events ORDER BY seq")]


def test_the_default_sink_is_the_hash_chained_log_in_data_dir(config: Path) -> None:
    with Federation.open(config) as fed:
        assert isinstance(fed.audit, AuditLog)
        assert fed.audit.path == config.parent / "var" / "audit.sqlite"
    with Federation.open(config, audit=MemorySink()) as fed:
        assert isinstance(fed.audit, MemorySink)


def test_every_outcome_writes_exactly_one_entry(config: Path) -> None:
    lookup = f"SELECT name FROM s.persons WHERE national_id = '{ALICE}'"
    attempts: list[tuple[str, object, type[Exception] | None, str]] = [
        (lookup, PURPOSE, None, "ok"),
        (lookup, Purpose(case_name="x", purpose="q", case_no="1"), AccessDenied, "denied"),
        (lookup, {"case_name": "x", "purpose": "p"}, PurposeRequired, "denied"),
        ("SELECT * FROM s.nothing", PURPOSE, InvalidQuery, "invalid"),
        ("DROP TABLE s.persons", PURPOSE, InvalidQuery, "invalid"),
        ("SELECT * FROM gone.t", PURPOSE, SourceUnavailable, "error"),
    ]
    data_dir = config.parent / "var"
    with Federation.open(config) as fed:
        for n, (sql, purpose, error, outcome) in enumerate(attempts, start=1):
            if error is None:
                fed.query(sql, "u", purpose)  # type: ignore[arg-type]
            else:
                with pytest.raises(error):
                    fed.query(sql, "u", purpose)  # type: ignore[arg-type]
            assert fed.audit.size() == n  # type: ignore[attr-defined]
            assert f'"outcome":"{outcome}"' in events(data_dir)[-1]
        with pytest.raises(AccessDenied):
            fed.query(lookup, "mallory", PURPOSE)
    stored = events(data_dir)
    assert len(stored) == len(attempts) + 1
    assert '"user":"mallory"' in stored[-1]
    assert verify_log(data_dir).ok


def test_no_plaintext_national_id_reaches_any_file(config: Path) -> None:
    data_dir = config.parent / "var"
    with Federation.open(config) as fed:
        fed.query(
            f"SELECT name FROM s.persons WHERE national_id IN ('{ALICE}', '{BOB.lower()}')",
            "u",
            Purpose(case_name=f"複查 {BOB}", purpose="p", case_no="113-7"),
        )
        with pytest.raises(AccessDenied):
            fed.query(
                f"SELECT name FROM s.persons WHERE national_id = '{BOB}'",
                "u",
                Purpose(case_name="x", purpose="q", document_no=f"函{ALICE}"),
            )
        # While the log is open its WAL holds the latest pages: check those bytes too.
        raw_open = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
        found = fed.audit.who_accessed(ALICE)  # type: ignore[attr-defined]
    raw_closed = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    for raw in (raw_open, raw_closed):
        for pid in (ALICE, BOB, ALICE.lower(), BOB.lower()):
            assert pid.encode() not in raw
    assert [e["outcome"] for e in found] == ["ok", "denied"]
    # The source SQL sent to SQLite carried the ID too; it was pseudonymised before storing.
    assert "hmac:" in found[0]["source_sql"][0]["statement"]


def test_a_query_whose_entry_cannot_be_written_returns_nothing(config: Path) -> None:
    data_dir = config.parent / "var"
    AuditLog(data_dir).close()
    holder = sqlite3.connect(data_dir / "audit.sqlite", isolation_level=None)
    log = AuditLog(data_dir, busy_timeout_s=0.2)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer keeps the log locked
        with Federation.open(config, audit=log) as fed, pytest.raises(InvalidQuery) as info:
            fed.query(f"SELECT name FROM s.persons WHERE national_id = '{ALICE}'", "u", PURPOSE)
        assert "audit log" in info.value.message
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert events(data_dir) == []


def test_concurrent_queries_through_the_engine_get_one_entry_each(config: Path) -> None:
    errors: list[BaseException] = []
    with Federation.open(config) as fed:

        def worker() -> None:
            try:
                for _ in range(25):
                    fed.query(
                        f"SELECT name FROM s.persons WHERE national_id = '{ALICE}'", "u", PURPOSE
                    )
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    data_dir = config.parent / "var"
    assert len(events(data_dir)) == 200
    assert verify_log(data_dir).ok


def test_a_deployment_can_require_its_document_number_format(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'document_no_pattern = "北市.+字第\\\\d+號"')
    sql = f"SELECT name FROM s.persons WHERE national_id = '{ALICE}'"
    with Federation.open(config) as fed:
        fed.query(
            sql, "u", Purpose(case_name="c", purpose="p", document_no="北市社助字第1133012345號")
        )
        fed.query(sql, "u", Purpose(case_name="c", purpose="p", case_no="113-1"))
        with pytest.raises(PurposeRequired, match="document number format"):
            fed.query(sql, "u", Purpose(case_name="c", purpose="p", document_no="abc"))
