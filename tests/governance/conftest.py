"""One small demo built per session and copied per test (governance writes its metadata DB and
audit log there), a federation over the copy, and a fake clock: a plain callable."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.governance import Governance
from demo.scenario import read_facts, setup
from engine import Federation
from tests.governance.helpers import SCALE, SEED, FakeClock


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("governance-demo")
    setup(directory, scale=SCALE, seed=SEED)
    return directory


@pytest.fixture(scope="session")
def facts(template: Path) -> dict[str, Any]:
    return read_facts(template)


@pytest.fixture()
def demo(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo: its own metadata database and audit log."""
    target = tmp_path / "demo"
    shutil.copytree(template, target)
    return target


@pytest.fixture()
def fed(demo: Path) -> Iterator[Federation]:
    federation = Federation.open(demo / "civicfed.toml")
    yield federation
    federation.close()


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(dt.datetime.now(dt.UTC).date())


@pytest.fixture()
def gov(fed: Federation, clock: FakeClock) -> Governance:
    return Governance(fed, clock=clock)


@pytest.fixture(scope="module")
def shared_fed(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """One federation for a module's refusal tests: a refused step changes nothing, so they
    need no fresh copy each (each of them checks that nothing changed)."""
    target = tmp_path_factory.mktemp("shared") / "demo"
    shutil.copytree(template, target)
    federation = Federation.open(target / "civicfed.toml")
    yield federation
    federation.close()


@pytest.fixture(scope="module")
def shared_gov(shared_fed: Federation) -> Governance:
    return Governance(shared_fed, clock=FakeClock(dt.datetime.now(dt.UTC).date()))
