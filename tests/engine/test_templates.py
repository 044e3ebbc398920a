"""Template binding (typed literals, never pasted text) and the configuration's checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from engine.config import load_config
from engine.errors import ConfigError, InvalidQuery
from engine.templates import bind_sql, slots

SQL = "SELECT a FROM s.t WHERE nid = $nid AND n = $n AND d >= $d AND label = $label"
TYPES = {"nid": "national_id", "n": "integer", "d": "date", "label": "text"}


def test_values_become_literals_of_their_type() -> None:
    bound = bind_sql(
        SQL, TYPES, {"nid": " a123456789 ", "n": "42", "d": "2024-02-29", "label": "x'y"}
    )
    tree = sqlglot.parse_one(bound, read="duckdb")
    literals = {lit.this: lit.is_string for lit in tree.find_all(exp.Literal)}
    assert literals == {"A123456789": True, "42": False, "2024-02-29": True, "x'y": True}
    assert tree.find(exp.Cast) is not None  # the date is a typed DATE, not text
    assert not list(tree.find_all(exp.Placeholder))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"nid": "A123456788", "n": 1, "d": "2024-01-01", "label": "x"}, "not a valid national ID"),
        ({"nid": "A123456789", "n": "4 OR 1=1", "d": "2024-01-01", "label": "x"}, "whole number"),
        ({"nid": "A123456789", "n": 1, "d": "yesterday", "label": "x"}, "YYYY-MM-DD"),
        ({"nid": "A123456789", "n": 1, "d": "2024-01-01", "label": "\x00"}, "printable"),
        ({"nid": "A123456789", "n": 1, "d": "2024-01-01"}, "required"),
        ({"nid": "A123456789", "n": True, "d": "2024-01-01", "label": "x"}, "whole number"),
        ({"nid": "A123456789", "n": 1, "d": "2024-01-01", "label": "x", "z": 1}, "unknown"),
    ],
    ids=["check-digit", "integer-text", "date", "control-char", "missing", "bool", "extra"],
)
def test_bad_values_are_refused_by_name(values: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidQuery, match=message):
        bind_sql(SQL, TYPES, values)


def test_slots_are_the_named_placeholders() -> None:
    assert slots(SQL) == {"nid", "n", "d", "label"}


def _config(tmp_path: Path, template: str) -> Path:
    path = tmp_path / "civicfed.toml"
    path.write_text(
        '[[purposes]]\ncode = "statistics"\nname = "統計"\n\n' + template, encoding="utf-8"
    )
    return path


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            '[[templates]]\nname = "t"\ntitle = "T"\nsql = "SELECT 1 WHERE x = $a"\n',
            "templates.0.sql: uses $a, which is not declared",
        ),
        (
            '[[templates]]\nname = "t"\ntitle = "T"\nsql = "SELECT 1"\n'
            'params = [{ name = "a", label = "A" }]\n',
            "templates.0.params: parameter 'a' is not used",
        ),
        (
            '[[templates]]\nname = "t"\ntitle = "T"\nsql = "SELECT 1 WHERE x = $1"\n',
            "templates.0.sql: parameters are named",
        ),
        (
            '[[templates]]\nname = "t"\ntitle = "T"\nsql = "SELECT 1"\npurposes = ["nope"]\n',
            "templates.0.purposes: purpose 'nope'",
        ),
        (
            '[[templates]]\nname = "t"\ntitle = "T"\nsql = "SELEC 1 FROM"\n',
            "templates.0.sql: not valid SQL",
        ),
        (
            '[[templates]]\nname = "t"\ntitle = "T"\nsql = "SELECT 1"\n'
            'params = [{ name = "a", label = "A", type = "money" }]\n',
            "templates.0.params.0.type",
        ),
    ],
    ids=["undeclared", "unused", "positional", "purpose", "syntax", "type"],
)
def test_configuration_names_the_broken_template(
    tmp_path: Path, template: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("$", r"\$").replace("(", r"\(")):
        load_config(_config(tmp_path, template))
