from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import load_config
from engine.errors import ConfigError

BASE = """
[federation]
data_dir = "var"

[[agencies]]
code = "CRA"
name = "民政局"

[sources.household]
kind = "sqlite"
path = "data/household.sqlite"
owner = "CRA"

[[purposes]]
code = "statistics"
name = "統計分析"

[[users]]
name = "alice"
agency = "CRA"
roles = ["user"]

[[grants]]
user = "alice"
table = "household.*"
columns = "*"
purposes = ["statistics"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "civicfed.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_resolves_paths_against_its_folder(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, BASE))
    assert loaded.resolve("data/household.sqlite") == tmp_path / "data" / "household.sqlite"
    assert loaded.data_dir == tmp_path / "var"


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="demo setup"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (('kind = "sqlite"', 'kind = "oracle"'), "sources.household.kind"),
        (('owner = "CRA"', 'owner = "XXX"'), "sources.household.owner"),
        (('path = "data/household.sqlite"', 'pth = "x"'), "unknown key"),
        (('purposes = ["statistics"]', 'purposes = ["fun"]'), "grants.0.purposes"),
        (('roles = ["user"]', 'roles = ["king"]'), "unknown role"),
        (('table = "household.*"', 'table = "nowhere.*"'), "grants.0.table"),
        (('user = "alice"\ntable', 'user = "bob"\ntable'), "grants.0.user"),
    ],
)
def test_errors_name_file_key_and_fix(
    tmp_path: Path, change: tuple[str, str], fragment: str
) -> None:
    path = write(tmp_path, BASE.replace(*change))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert fragment in str(info.value)


def test_environment_references_are_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = BASE + '\n[sources.pg]\nkind = "postgres"\ndsn = "${CF_TEST_DSN}"\nowner = "CRA"\n'
    monkeypatch.setenv("CF_TEST_DSN", "postgresql://u@h/db")
    assert load_config(write(tmp_path, text)).config.sources["pg"].dsn == "postgresql://u@h/db"
    monkeypatch.delenv("CF_TEST_DSN")
    with pytest.raises(ConfigError, match="CF_TEST_DSN"):
        load_config(write(tmp_path, text))


def test_bad_toml_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[federation\n"))
