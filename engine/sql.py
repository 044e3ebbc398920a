"""The SQL guard: parse once, accept only a single read-only query over catalog tables.

Everything that could reach outside the query — statements other than SELECT, table functions,
file paths, settings, variables, catalog functions — is refused here, before any name is resolved
(DESIGN.md invariant 4). Whole-row tricks (``COLUMNS()``, ``* EXCLUDE``, ``#1``) are refused too,
because they escape column-level checks.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from engine.errors import InvalidQuery
from engine.functions import ALLOWED_FUNCTIONS

DIALECT = "duckdb"
MAX_SQL_CHARS = 100_000
MAX_DEPTH = 200

_DENIED_NAME = re.compile(
    r"(read|scan|glob|setting|getenv|current_(query|setting|schema|database|catalog|role|user)"
    r"|duckdb_|^pg_|sqlite|pragma|^stats$|query|checkpoint|install|load|file|parquet|csv|secret"
    r"|extension|privilege|version|nextval|currval|setseed|^error$|variable|write|copy|export"
    r"|import|sleep|session|^user$|user_id|role)",
    re.IGNORECASE,
)

# Statement and clause nodes that never belong in a read-only query.
_FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Command",
        "Insert",
        "Update",
        "Delete",
        "Merge",
        "Create",
        "Drop",
        "Alter",
        "Copy",
        "Attach",
        "Detach",
        "Pragma",
        "Set",
        "SetItem",
        "Use",
        "Describe",
        "Summarize",
        "Show",
        "Transaction",
        "Commit",
        "Rollback",
        "Into",
        "Install",
        "Load",
        "Placeholder",
        "Parameter",
        "SessionParameter",
        "Columns",
        "PositionalColumn",
        "Export",
        "Import",
        "LoadData",
        "TruncateTable",
        "Analyze",
        "Refresh",
        "Cache",
        "Uncache",
        "Grant",
        "Revoke",
        "Comment",
        "Kill",
        "Changes",
        "Lock",
    )
    if hasattr(exp, name)
)


def _denied_function_classes() -> frozenset[type[exp.Func]]:
    denied = set()
    for value in vars(exp).values():
        if isinstance(value, type) and issubclass(value, exp.Func) and value is not exp.Anonymous:
            try:
                names = value.sql_names()
            except Exception:  # pragma: no cover - abstract helper classes
                continue
            if any(_DENIED_NAME.search(n) for n in names):
                denied.add(value)
    return frozenset(denied)


_DENIED_FUNCTION_CLASSES = _denied_function_classes()


def parse_query(sql: str) -> exp.Query:
    """Return the one read-only query in ``sql``, or raise InvalidQuery saying what is wrong."""
    if not isinstance(sql, str) or not sql.strip():
        raise InvalidQuery("the query is empty")
    if len(sql) > MAX_SQL_CHARS:
        raise InvalidQuery(f"the query is longer than {MAX_SQL_CHARS} characters")
    if "\x00" in sql:
        raise InvalidQuery("the query contains a NUL character")
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=DIALECT) if s is not None]
    except (ParseError, TokenError) as exc:
        raise InvalidQuery(f"the query could not be parsed: {_parse_hint(exc)}") from None
    except RecursionError:
        raise InvalidQuery("the query is nested too deeply") from None
    if len(statements) != 1:
        raise InvalidQuery(
            "send exactly one statement" if statements else "the query has no statement"
        )
    (tree,) = statements
    if not isinstance(tree, (exp.Select, exp.SetOperation)):
        if isinstance(tree, _FORBIDDEN_NODES):
            raise InvalidQuery(f"only SELECT queries are allowed, not {_statement_name(tree)}")
        raise InvalidQuery("the query is not a SELECT statement; start it with SELECT or WITH")
    check_query(tree)
    return tree


def check_query(tree: exp.Expr) -> None:
    """Refuse anything in a parsed query that reaches outside it or escapes column checks."""
    for node in _walk_bounded(tree):
        if isinstance(node, _FORBIDDEN_NODES):
            raise InvalidQuery(_forbidden_message(node))
        if isinstance(node, exp.Star) and any(
            node.args.get(k) for k in ("except_", "except", "replace", "rename")
        ):
            raise InvalidQuery("* EXCLUDE / REPLACE / RENAME are not allowed; list the columns")
        if isinstance(node, exp.Table):
            _check_table_source(node)
        elif isinstance(node, exp.Join) and (node.method or "").upper() == "NATURAL":
            raise InvalidQuery("NATURAL JOIN is not allowed; name the join columns (ON or USING)")
        elif isinstance(node, exp.Anonymous):
            name = node.name.lower()
            if name not in ALLOWED_FUNCTIONS or _DENIED_NAME.search(name):
                raise InvalidQuery(f"function {node.name}() is not available")
        elif isinstance(node, exp.Func) and type(node) in _DENIED_FUNCTION_CLASSES:
            raise InvalidQuery(f"function {type(node).sql_names()[0].lower()}() is not available")
        elif isinstance(node, exp.With) and node.args.get("recursive"):
            continue


def _check_table_source(table: exp.Table) -> None:
    target = table.this
    if isinstance(target, exp.Identifier):
        if table.args.get("catalog") is not None:
            raise InvalidQuery(
                f"table {table.sql(DIALECT)} does not exist or is not granted to you"
            )
        return
    if isinstance(target, (exp.Func, exp.Anonymous)):
        raise InvalidQuery("table functions are not allowed; query catalog tables by name")
    raise InvalidQuery("only catalog tables, subqueries, VALUES and UNNEST may appear in FROM")


def _walk_bounded(tree: exp.Expr) -> list[exp.Expr]:
    nodes: list[exp.Expr] = []
    stack: list[tuple[exp.Expr, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidQuery("the query is nested too deeply")
        nodes.append(node)
        for child in node.iter_expressions():
            stack.append((child, depth + 1))
    return nodes


def _statement_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return type(node).__name__.upper()


def _forbidden_message(node: exp.Expr) -> str:
    if isinstance(node, exp.Columns):
        return "COLUMNS(...) is not allowed; list the columns"
    if isinstance(node, exp.PositionalColumn):
        return "positional column references (#n) are not allowed; name the column"
    if isinstance(node, (exp.Placeholder, exp.Parameter, exp.SessionParameter)):
        return "parameters and variables are not allowed in a query"
    if isinstance(node, exp.Into):
        return "SELECT INTO is not allowed"
    return f"only SELECT queries are allowed, not {_statement_name(node)}"


def _parse_hint(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if errors:
        first = errors[0]
        desc = str(first.get("description", "syntax error"))
        line, col = first.get("line"), first.get("col")
        if line is not None:
            return f"{desc} (line {line}, column {col})"
        return desc
    return str(exc).splitlines()[0][:200]
