"""Shared fixtures: real servers when they are up, a clear skip when not, a failure under CI."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

PG_DSN = os.environ.get("CIVICFED_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_DSN = os.environ.get("CIVICFED_TEST_MYSQL", "mysql://root@127.0.0.1:3306/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _require_server(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message}; server tests must run under CI=true")
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """A PostgreSQL DSN for the test database (trust auth)."""
    _require_server("PostgreSQL", "127.0.0.1", 5432)
    yield PG_DSN


@pytest.fixture(scope="session")
def mysql_dsn() -> Iterator[str]:
    """A MariaDB/MySQL DSN for the test database (root, no password)."""
    _require_server("MariaDB", "127.0.0.1", 3306)
    yield MYSQL_DSN


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-plans", action="store_true", help="rewrite the golden plan files in tests/plans"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if {"pg_dsn", "mysql_dsn"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    """Under CI a skipped server test is a failure: say so loudly (the run is failed in
    pytest_sessionfinish)."""
    if not IN_CI:
        return
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "server" in r.keywords]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} server test(s) skipped under CI=true", red=True
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = [r for r in reporter.stats.get("skipped", []) if "server" in r.keywords]
    if skipped:
        session.exitstatus = 1
