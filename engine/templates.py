"""Query templates: named, parameterised queries whose parameters become typed literals.

A template's SQL names its parameters as ``$name``. Binding replaces each placeholder in the
parsed tree with a literal of the parameter's type — never by pasting text — so a value cannot
change the query's shape; the bound SQL then takes the same path as any other query (guard,
policies, audit).

>>> bind_sql("SELECT name FROM household.persons WHERE national_id = $nid",
...          {"nid": "national_id"}, {"nid": "A123456789"})
"SELECT name FROM household.persons WHERE national_id = 'A123456789'"
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlglot
from sqlglot import exp

from engine.config import TemplateConfig
from engine.errors import InvalidQuery
from engine.identifiers import is_valid_national_id

PARAM_TYPES = ("national_id", "text", "integer", "date")
SAMPLE_VALUES = {"national_id": "A123456789", "text": "x", "integer": 1, "date": "2000-01-01"}
_MAX_TEXT = 200


class TemplateError(ValueError):
    """A template whose SQL cannot be used (for the configuration's error message)."""


def _parse(sql: str) -> exp.Expr:
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise TemplateError(f"not valid SQL: {str(exc).splitlines()[0]}") from None
    if tree is None:
        raise TemplateError("the SQL is empty")
    return tree


def slots(sql: str) -> set[str]:
    """The parameter names the template's SQL uses (``$name``)."""
    names = set()
    for node in _parse(sql).find_all(exp.Placeholder):
        name = str(node.this or "")
        if not name or name.isdigit():
            raise TemplateError("parameters are named: write $national_id, not ? or $1")
        names.add(name)
    return names


def literal(kind: str, name: str, value: Any) -> exp.Expr:
    """The typed literal for one parameter value, or InvalidQuery naming the parameter."""
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise InvalidQuery(f"{name} must be a whole number")
        try:
            number = int(value)
        except ValueError:
            raise InvalidQuery(f"{name} must be a whole number") from None
        if abs(number) >= 2**63:
            raise InvalidQuery(f"{name} is out of range")
        return exp.Literal.number(number)
    if not isinstance(value, str):
        raise InvalidQuery(f"{name} must be text")
    text = value.strip()
    if kind == "national_id":
        text = text.upper()
        if not is_valid_national_id(text):
            raise InvalidQuery(
                f"{name} is not a valid national ID (one letter, nine digits, check digit)"
            )
        return exp.Literal.string(text)
    if kind == "date":
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise InvalidQuery(f"{name} must be a date written YYYY-MM-DD") from None
        return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.build("DATE"))
    if len(text) > _MAX_TEXT or any(ord(ch) < 32 for ch in text):
        raise InvalidQuery(f"{name} must be at most {_MAX_TEXT} printable characters")
    return exp.Literal.string(text)


def bind_sql(sql: str, types: Mapping[str, str], values: Mapping[str, Any]) -> str:
    """The template's SQL with every ``$name`` replaced by its typed literal."""
    unknown = sorted(set(values) - set(types))
    if unknown:
        raise InvalidQuery(f"unknown parameter {unknown[0]!r}; this template takes {sorted(types)}")
    tree = _parse(sql)
    for node in list(tree.find_all(exp.Placeholder)):
        name = str(node.this)
        value = values.get(name)
        if value is None or value == "":
            raise InvalidQuery(f"parameter {name!r} is required")
        node.replace(literal(types[name], name, value))
    return tree.sql(dialect="duckdb")


def template_view(template: TemplateConfig, purposes: list[str]) -> dict[str, Any]:
    """What a user is shown of a template they may run."""
    return {
        "name": template.name,
        "title": template.title,
        "description": template.description,
        "params": [
            {"name": p.name, "type": p.type, "label": p.label, "required": True}
            for p in template.params
        ],
        "purposes": purposes,
        "sources": sorted({t.split(".")[0] for t in tables_in(template.sql)}),
    }


def tables_in(sql: str) -> set[str]:
    """The ``source.table`` names the SQL reads."""
    tree = _parse(sql)
    return {f"{t.db}.{t.name}" for t in tree.find_all(exp.Table) if t.db}
