from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.scenario import setup
from engine import Federation


@pytest.fixture(scope="module")
def golden_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("golden")
    setup(directory, scale=1000, seed=11)
    return directory


@pytest.fixture(scope="module")
def golden_fed(golden_dir: Path) -> Iterator[Federation]:
    fed = Federation.open(golden_dir / "civicfed.toml")
    yield fed
    fed.close()
