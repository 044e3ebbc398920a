"""Whether a filter that calls functions means the same at a DuckDB-read source as in the query.

DuckDB files, Parquet and CSV are read by DuckDB, in this process, with the same build and
default settings as the query's own connection: a scalar, deterministic DuckDB expression over
columns that arrive with the type the source holds gives the same answer on either side. What
"deterministic" means is asked of DuckDB itself: its parser names every function the text calls
(``json_serialize_sql``) and ``duckdb_functions()`` says how stable each one is. On top of that,
some functions are refused that DuckDB calls consistent but that read the clock, and some that
fail on a value that does not parse: a failure at the source would read as the source being
unavailable instead of as a bad query.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

__all__ = ["why_not_exact"]

_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "memory_limit": "64MB",
    "threads": 1,
}

# Parse-tree node classes a pushed filter may hold. Anything else (subqueries, windows, lambdas,
# COLLATE, parameters, stars) stays above the scan.
_CLASSES = frozenset(
    {"FUNCTION", "CAST", "CASE", "CONJUNCTION", "COMPARISON", "OPERATOR", "BETWEEN", "CONSTANT"}
    | {"COLUMN_REF"}
)
# DuckDB lists these as CONSISTENT, yet they read the clock (age with one argument counts from
# today: see _function_reason).
_CLOCK = frozenset({"current_localtime", "current_localtimestamp", "today", "now", "ago"})
# Time-zone functions: the answer depends on the session's TimeZone setting.
_TIME_ZONE = frozenset({"timezone", "timezone_hour", "timezone_minute", "make_timestamptz"})
# They turn text into values and fail on text that does not parse.
_MAY_FAIL = frozenset(
    {
        "strptime",
        "make_date",
        "make_time",
        "make_timestamp",
        "make_timestamp_ms",
        "make_timestamp_ns",
        "from_base64",
        "from_hex",
        "unhex",
        "from_binary",
        "unbin",
        "decode",
        "from_json",
        "from_json_strict",
        "json_transform",
        "json_transform_strict",
        "error",
    }
)
_SCHEMAS = frozenset({"", "main", "system", "pg_catalog"})
# Casts of a column that cannot fail: every value has a text form.
_SAFE_CAST_TARGETS = frozenset({"VARCHAR"})
_CACHE_LIMIT = 4096


@dataclass(frozen=True)
class _Function:
    kinds: frozenset[str]  # function_type: scalar, aggregate, macro, table, …
    stabilities: frozenset[str]
    macros: tuple[tuple[str, frozenset[str]], ...]  # (definition, parameter names)


class _Catalog:
    """DuckDB's own answers: the parse tree of an expression and the stability of functions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._functions: dict[str, _Function] = {}
        self._verdicts: dict[tuple[str, frozenset[str]], str | None] = {}

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if self._connection is None:
            connection = duckdb.connect(config=_CONFIG)
            connection.execute("SET lock_configuration = true")
            rows = connection.execute(
                "SELECT lower(function_name), function_type, coalesce(stability, ''),"
                " coalesce(macro_definition, ''), coalesce(parameters, []) FROM duckdb_functions()"
            ).fetchall()
            grouped: dict[str, tuple[set[str], set[str], list[tuple[str, frozenset[str]]]]] = {}
            for name, kind, stability, definition, parameters in rows:
                kinds, stabilities, macros = grouped.setdefault(name, (set(), set(), []))
                kinds.add(str(kind))
                if stability:
                    stabilities.add(str(stability))
                if definition:
                    macros.append((str(definition), frozenset(str(p).lower() for p in parameters)))
            self._functions = {
                name: _Function(frozenset(k), frozenset(s), tuple(d))
                for name, (k, s, d) in grouped.items()
            }
            self._connection = connection
        return self._connection

    def parse(self, expression_sql: str) -> dict[str, Any] | None:
        """Return DuckDB's parse tree of ``SELECT <expression>``'s one select item."""
        with self._lock:
            connection = self._connect()
            cursor = connection.cursor()
            try:
                row = cursor.execute(
                    "SELECT json_serialize_sql(?)", ["SELECT " + expression_sql]
                ).fetchone()
            except duckdb.Error:
                return None
            finally:
                cursor.close()
        tree = json.loads(row[0]) if row else {}
        statements = tree.get("statements") or []
        if tree.get("error") or len(statements) != 1:
            return None
        items = statements[0].get("node", {}).get("select_list") or []
        return items[0] if len(items) == 1 else None

    def function(self, name: str) -> _Function | None:
        with self._lock:
            self._connect()
            return self._functions.get(name)

    def verdict(self, expression_sql: str, columns: frozenset[str]) -> str | None:
        key = (expression_sql, columns)
        cached = self._verdicts.get(key, "")
        if cached != "":
            return cached
        tree = self.parse(expression_sql)
        if tree is None:
            reason: str | None = "DuckDB cannot read it as one expression"
        else:
            reason = _tree(tree, columns, 0)
        with self._lock:
            if len(self._verdicts) >= _CACHE_LIMIT:
                self._verdicts.clear()
            self._verdicts[key] = reason
        return reason


_CATALOG = _Catalog()
_MAX_MACRO_DEPTH = 4


def why_not_exact(expression_sql: str, columns: frozenset[str]) -> str | None:
    """Return None when every DuckDB connection of this process evaluates ``expression_sql``
    (DuckDB SQL over the table's ``columns``) to the same value for the same row, and it cannot
    fail on a row where the query's own evaluation would not; otherwise the reason, for EXPLAIN.
    """
    return _CATALOG.verdict(expression_sql, frozenset(c.lower() for c in columns))


def _tree(root: dict[str, Any], names: frozenset[str], depth: int) -> str | None:
    """The first reason in a parse tree whose column references must be among ``names``."""
    for node in _nodes(root):
        kind = node.get("class")
        if kind not in _CLASSES:
            return f"{str(kind).lower().replace('_', ' ')} is evaluated above the scan"
        if kind == "COLUMN_REF":
            # CURRENT_DATE, LOCALTIMESTAMP, … parse as column names and bind to the clock.
            parts = [str(p).lower() for p in node.get("column_names") or []]
            reason = (
                None
                if len(parts) == 1 and parts[0] in names
                else (f"{'.'.join(parts)} is not a column of the scanned table")
            )
        elif kind == "FUNCTION":
            reason = _function_reason(node, depth)
        elif kind == "CAST":
            reason = _cast_reason(node)
        else:
            reason = None
        if reason is not None:
            return reason
    return None


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every parse-tree node (a dict with a ``class``) under ``value``, itself included."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "class" in item:
                yield item
            # cast_type / value hold types and constants, not expressions.
            stack.extend(v for k, v in item.items() if k not in ("cast_type", "value"))
        elif isinstance(item, list):
            stack.extend(item)


def _function_reason(node: dict[str, Any], depth: int) -> str | None:
    name = str(node.get("function_name", "")).lower()
    shown = f"{name}()"
    if str(node.get("schema", "")).lower() not in _SCHEMAS or node.get("catalog"):
        return f"{shown} is not one of DuckDB's own functions"
    if node.get("distinct") or node.get("filter") or (node.get("order_bys") or {}).get("orders"):
        return f"{shown} is an aggregate"
    function = _CATALOG.function(name)
    if function is None:
        return f"{shown} is not a DuckDB function"
    if name in _CLOCK or (name == "age" and len(node.get("children") or []) == 1):
        return f"{shown} reads the clock"
    if name in _TIME_ZONE:
        return f"{shown} depends on the session's time zone"
    if name in _MAY_FAIL or name.startswith("json"):
        return f"{shown} fails on a value that does not parse, and the scan would fail with it"
    if "scalar" in function.kinds:
        if function.stabilities - {"CONSISTENT"}:
            return f"{shown} is volatile"
        return None
    if "macro" in function.kinds and depth < _MAX_MACRO_DEPTH:
        for definition, parameters in function.macros:
            tree = _CATALOG.parse(definition)
            if tree is None:
                inner: str | None = "its definition cannot be read"
            else:
                inner = _tree(tree, parameters, depth + 1)
            if inner is not None:
                return f"{shown} is a macro: {inner}"
        return None
    return f"{shown} is not a scalar function"


def _cast_reason(node: dict[str, Any]) -> str | None:
    target = str((node.get("cast_type") or {}).get("id", "")).upper()
    if "TZ" in target or "TIME ZONE" in target or "TIME_ZONE" in target:
        return "a cast to a time with a zone depends on the session's time zone"
    if node.get("try_cast") or target in _SAFE_CAST_TARGETS:
        return None
    reads_column = any(n.get("class") == "COLUMN_REF" for n in _nodes(node.get("child")))
    if reads_column:
        return (
            f"CAST to {target.lower()} fails on a value that does not convert, and the scan "
            "would fail with it (TRY_CAST is pushed)"
        )
    return None
