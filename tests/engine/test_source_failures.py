"""A source that is down, gone or too slow fails the query with SourceUnavailable, never a
partial answer, and within the source's timeout."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from pathlib import Path

import adbc_driver_postgresql.dbapi
import pytest

from audit import MemorySink
from engine import Federation, Purpose
from engine.errors import SourceUnavailable

PURPOSE = Purpose(case_name="t", purpose="p", case_no="1")


def write_config(directory: Path, sources: str) -> Path:
    path = directory / "civicfed.toml"
    path.write_text(
        f"""
[federation]
data_dir = "var"
[[agencies]]
code = "A"
name = "a"
{sources}
[[purposes]]
code = "p"
name = "p"
[[users]]
name = "u"
agency = "A"
[[grants]]
user = "u"
table = "s.*"
columns = "*"
purposes = ["p"]
""",
        encoding="utf-8",
    )
    return path


def test_server_that_is_down_fails_fast_and_names_the_source(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        '[sources.s]\nkind = "postgres"\ndsn = "postgresql://postgres@127.0.0.1:1/test"\n'
        'owner = "A"\ntimeout_s = 3\n',
    )
    sink = MemorySink()
    started = time.monotonic()
    with Federation.open(config, audit=sink) as fed, pytest.raises(SourceUnavailable) as info:
        fed.query("SELECT * FROM s.t", "u", PURPOSE)
    assert time.monotonic() - started < 6
    assert "source s" in info.value.message
    assert info.value.code == "source_unavailable"
    assert [e["outcome"] for e in sink.events] == ["error"]


def test_sqlite_file_removed_after_planning(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "s.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (a INTEGER)")
        conn.execute("INSERT INTO t VALUES (1)")
    config = write_config(
        tmp_path, '[sources.s]\nkind = "sqlite"\npath = "s.sqlite"\nowner = "A"\n'
    )
    with Federation.open(config) as fed:
        assert fed.query("SELECT a FROM s.t", "u", PURPOSE).num_rows == 1
        shutil.move(db, tmp_path / "gone.sqlite")
        fed.catalog.adapter("s").close()
        with pytest.raises(SourceUnavailable, match="source s"):
            fed.query("SELECT a FROM s.t WHERE a > 0", "u", PURPOSE)


def test_slow_server_fails_within_its_timeout(tmp_path: Path, pg_dsn: str) -> None:
    table = f"slow_{uuid.uuid4().hex[:8]}"
    admin = adbc_driver_postgresql.dbapi.connect(pg_dsn)
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE TABLE public.{table} (a integer)")
            cur.execute(f"INSERT INTO public.{table} VALUES (1)")
        admin.commit()
        config = write_config(
            tmp_path,
            f'[sources.s]\nkind = "postgres"\ndsn = "{pg_dsn}"\nowner = "A"\ntimeout_s = 1.5\n',
        )
        with Federation.open(config) as fed:
            assert fed.query(f"SELECT a FROM s.{table}", "u", PURPOSE).num_rows == 1
            locker = adbc_driver_postgresql.dbapi.connect(pg_dsn)
            try:
                with locker.cursor() as cur:
                    cur.execute(f"LOCK TABLE public.{table} IN ACCESS EXCLUSIVE MODE")
                    started = time.monotonic()
                    with pytest.raises(SourceUnavailable, match="source s"):
                        fed.query(f"SELECT a FROM s.{table} WHERE a = 1", "u", PURPOSE)
                    assert time.monotonic() - started < 5
                locker.rollback()
            finally:
                locker.close()
            # The source is healthy again once the lock is gone.
            assert fed.query(f"SELECT a FROM s.{table}", "u", PURPOSE).num_rows == 1
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS public.{table}")
        admin.commit()
        admin.close()


def test_a_failing_source_does_not_leave_threads_behind(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        '[sources.s]\nkind = "postgres"\ndsn = "postgresql://postgres@127.0.0.1:1/test"\n'
        'owner = "A"\ntimeout_s = 2\n',
    )
    before = threading.active_count()
    with Federation.open(config) as fed:
        for _ in range(3):
            with pytest.raises(SourceUnavailable):
                fed.query("SELECT * FROM s.t", "u", PURPOSE)
    time.sleep(0.2)
    assert threading.active_count() <= before + 1
