"""CSV and Parquet sources keep a loaded copy of each table, and every answer still reflects the
files as they are at the scan: a rewrite, an in-place rewrite that restores size and mtime, a
replacement by rename, a file added to a table's folder, all are seen by the next scan."""

from __future__ import annotations

import concurrent.futures
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

import adapters.file_cache
from adapters import ScanColumn, ScanRequest, SourceSettings, open_source
from adapters.files import FileSource

SETTLE_S = 0.05  # RACY_S for these tests; the real window is seconds


@pytest.fixture(autouse=True)
def short_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adapters.file_cache, "RACY_S", SETTLE_S)


@pytest.fixture(params=["csv", "parquet"])
def file_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def write(path: Path, values: list[int]) -> None:
    """Write table (id, label) holding ``values`` as CSV or Parquet, by the path's suffix."""
    table = pa.table({"id": values, "label": [f"v{v:04d}" for v in values]})
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        with duckdb.connect() as connection:
            connection.register("data", table)
            connection.execute(f"COPY data TO '{path}' (HEADER)")


def settle() -> None:
    time.sleep(SETTLE_S * 3)


class Loads:
    """Counts the copies a source loads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = FileSource._load_copy

        def counted(source: FileSource, table: str, copy: str) -> None:
            self.count += 1
            original(source, table, copy)

        monkeypatch.setattr(FileSource, "_load_copy", counted)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Loads:
    return Loads(monkeypatch)


@pytest.fixture
def source(tmp_path: Path, file_kind: str) -> Iterator[tuple[object, Path]]:
    path = tmp_path / f"t.{file_kind}"
    write(path, [1, 2, 3])
    adapter = open_source(SourceSettings(name="files", kind=file_kind, path=str(tmp_path)))
    yield adapter, path
    adapter.close()


def scan_ids(adapter: object, where: str | None = None) -> list[int]:
    request = ScanRequest(
        "t",
        (ScanColumn("id", exp.column("id"), pa.int64()),),
        (sqlglot.parse_one(where),) if where else (),
    )
    return sorted(adapter.scan(request).read_all().column("id").to_pylist())  # type: ignore[attr-defined]


def test_a_settled_file_is_loaded_once(source: tuple[object, Path], loads: Loads) -> None:
    adapter, _ = source
    settle()
    assert scan_ids(adapter) == [1, 2, 3]
    assert scan_ids(adapter, "id = 2") == [2]
    assert scan_ids(adapter, "id > 1") == [2, 3]
    assert loads.count == 1


def test_a_rewritten_file_is_seen_on_the_next_scan(
    source: tuple[object, Path], loads: Loads
) -> None:
    adapter, path = source
    settle()
    assert scan_ids(adapter) == [1, 2, 3]
    write(path, [7, 8, 9, 10])
    assert scan_ids(adapter) == [7, 8, 9, 10]
    assert loads.count == 2


def test_an_in_place_rewrite_with_the_same_size_and_mtime_is_seen(
    source: tuple[object, Path], loads: Loads
) -> None:
    adapter, path = source
    before = path.stat()
    settle()
    assert scan_ids(adapter) == [1, 2, 3]
    content = path.read_bytes()
    changed = content.replace(b"v0003", b"v0004") if path.suffix == ".csv" else None
    if changed is None:  # Parquet: same row count and widths, another value
        replacement = path.with_name(f"replacement{path.suffix}")
        write(replacement, [1, 2, 4])
        changed = replacement.read_bytes()
        replacement.unlink()
    assert len(changed) == len(content)
    with open(path, "r+b") as handle:  # same inode
        handle.write(changed)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `cp -p` would
    assert path.stat().st_mtime_ns == before.st_mtime_ns and path.stat().st_size == before.st_size
    settle()  # seen through the ctime, not because the change is recent
    if path.suffix == ".csv":
        assert scan_ids(adapter) == [1, 2, 3]
        request = ScanRequest("t", (ScanColumn("label", exp.column("label"), pa.string()),))
        labels = adapter.scan(request).read_all().column("label").to_pylist()  # type: ignore[attr-defined]
        assert sorted(labels) == ["v0001", "v0002", "v0004"]
    else:
        assert scan_ids(adapter) == [1, 2, 4]
    assert loads.count == 2


def test_a_file_replaced_by_rename_is_seen(source: tuple[object, Path]) -> None:
    adapter, path = source
    settle()
    assert scan_ids(adapter) == [1, 2, 3]
    staged = path.with_name(f"staged{path.suffix}")
    write(staged, [4, 5, 6])
    stat = path.stat()
    os.utime(staged, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(staged, path)  # another inode
    assert scan_ids(adapter) == [4, 5, 6]


def test_a_copy_of_a_file_changed_just_now_serves_one_scan(
    source: tuple[object, Path], loads: Loads, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter, _ = source  # written just now: its metadata could still miss a change
    # "Just now" must hold however slowly a loaded machine gets from the write to the scans.
    monkeypatch.setattr(adapters.file_cache, "RACY_S", 60.0)
    assert scan_ids(adapter) == [1, 2, 3]
    assert scan_ids(adapter) == [1, 2, 3]
    assert loads.count == 2
    monkeypatch.setattr(adapters.file_cache, "RACY_S", SETTLE_S)
    settle()
    assert scan_ids(adapter) == [1, 2, 3]
    assert scan_ids(adapter) == [1, 2, 3]
    assert loads.count == 3


def test_a_file_added_to_a_table_folder_is_seen(tmp_path: Path, file_kind: str) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    write(folder / f"part1.{file_kind}", [1, 2])
    adapter = open_source(SourceSettings(name="files", kind=file_kind, path=str(tmp_path)))
    settle()
    assert scan_ids(adapter) == [1, 2]
    (folder / "more").mkdir()
    write(folder / "more" / f"part2.{file_kind}", [3])
    assert scan_ids(adapter) == [1, 2, 3]
    adapter.close()


def test_files_over_the_budget_are_read_directly(
    tmp_path: Path, file_kind: str, loads: Loads
) -> None:
    write(tmp_path / f"t.{file_kind}", [1, 2, 3])
    adapter = open_source(
        SourceSettings(name="files", kind=file_kind, path=str(tmp_path), options={"cache_mb": 0})
    )
    settle()
    assert scan_ids(adapter, "id >= 2") == [2, 3]
    assert loads.count == 0
    adapter.close()


def test_least_recently_used_tables_leave_the_budget(
    tmp_path: Path, file_kind: str, loads: Loads
) -> None:
    for name, values in (("t", [1]), ("u", [2]), ("w", [3])):
        write(tmp_path / f"{name}.{file_kind}", values)
    size = (tmp_path / f"t.{file_kind}").stat().st_size
    budget_mb = 2.5 * size / 2**20  # room for two of the three
    adapter = open_source(
        SourceSettings(
            name="files", kind=file_kind, path=str(tmp_path), options={"cache_mb": budget_mb}
        )
    )
    settle()
    column = (ScanColumn("id", exp.column("id"), pa.int64()),)
    for name in ("t", "u", "w", "w", "t"):
        adapter.scan(ScanRequest(name, column)).read_all()
    assert loads.count == 4  # t, u, w, then t again: it was the least recently used
    adapter.close()


def test_concurrent_scans_while_the_file_changes_see_one_version_or_the_other(
    source: tuple[object, Path],
) -> None:
    adapter, path = source
    settle()
    versions = ([1, 2, 3], [4, 5, 6, 7])

    def scan_many(_: int) -> list[list[int]]:
        return [scan_ids(adapter) for _ in range(15)]

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(scan_many, i) for i in range(4)]
        time.sleep(0.02)
        staged = path.with_name(f"staged{path.suffix}")
        write(staged, versions[1])
        os.replace(staged, path)
        answers = [answer for future in futures for answer in future.result()]
    assert all(answer in versions for answer in answers)
    assert scan_ids(adapter) == versions[1]
