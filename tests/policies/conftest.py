"""The demo scenario's catalog and grants (DESIGN.md §6), and helpers to build grants and
tables for the policy tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.scenario import setup
from engine.catalog import Catalog
from engine.config import LoadedConfig, load_config
from engine.federation import _config_grants
from policies import Authorizer, Principal, TableRef

DEMO_TABLES = (
    "household.persons",
    "household.households",
    "welfare.recipients",
    "land.parcels",
    "land.ownership",
    "building.permits",
    "fire.inspections",
)


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory: pytest.TempPathFactory) -> LoadedConfig:
    directory = tmp_path_factory.mktemp("policy-demo")
    return load_config(setup(directory, scale=1000))


@pytest.fixture(scope="session")
def demo_tables(demo_config: LoadedConfig) -> Iterator[dict[str, TableRef]]:
    """Every demo table as the catalog resolves it (real discovered schemas)."""
    catalog = Catalog(demo_config)
    try:
        yield {name: catalog.resolve(*name.split("."), name) for name in DEMO_TABLES}
    finally:
        catalog.close()


@pytest.fixture(scope="session")
def demo_principals(demo_config: LoadedConfig) -> dict[str, Principal]:
    catalog = Catalog(demo_config)
    return {u.name: p for u in demo_config.config.users if (p := catalog.principal(u.name))}


@pytest.fixture(scope="session")
def demo_authorizer(demo_config: LoadedConfig) -> Authorizer:
    """The Authorizer the federation builds from the demo's civicfed.toml."""
    return Authorizer(
        _config_grants(demo_config),
        members={u.name: u.agency for u in demo_config.config.users},
    )


@pytest.fixture()
def tmp_store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'metadata.sqlite'}"
