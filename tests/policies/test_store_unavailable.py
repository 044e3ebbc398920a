"""An unreachable metadata database: a clear configuration error at open, and decisions that
fail closed (without revealing tables) while it stays unreachable."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Federation
from engine.errors import ConfigError
from policies import Authorizer, GrantStore, StoreUnavailable
from tests.policies.builders import PERSONS, grant, principal

NOWHERE = "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2"


def test_unreachable_store_is_reported_as_unavailable() -> None:
    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        GrantStore.open(NOWHERE)


def test_unreachable_metadata_url_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "civicfed.toml"
    config.write_text(
        f'[federation]\nmetadata_url = "{NOWHERE}"\n[[purposes]]\ncode = "p"\nname = "p"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"federation\.metadata_url: the metadata database"):
        Federation.open(config)


def test_decisions_fail_closed_while_the_store_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = GrantStore.open(f"sqlite:///{tmp_path / 'metadata.sqlite'}")
    authorizer = Authorizer(
        [grant("g", user="alice", table="household.persons")], store=store, refresh_s=0.0
    )
    alice, bob = principal("alice"), principal("bob")
    assert authorizer.decide(alice, PERSONS, "p").allowed

    def unreachable() -> int:
        raise StoreUnavailable("the metadata database cannot be reached: test")

    monkeypatch.setattr(store, "version", unreachable)
    refused = authorizer.decide(alice, PERSONS, "p")
    assert (refused.allowed, refused.visible) == (False, True)
    assert "try again" in refused.reasons[0]
    assert not authorizer.decide(bob, PERSONS, "p").visible  # nothing new is revealed
    monkeypatch.undo()
    assert authorizer.decide(alice, PERSONS, "p").allowed
