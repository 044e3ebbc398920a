"""Row-filter templates: validated once when a grant is read, rendered per principal.

A template is a SQL condition over the table's own columns that may name the principal's
attributes as ``{user.agency}``, ``{user.district}`` or ``{user.name}``. Each placeholder becomes
a string literal built by sqlglot's generator, so a value is data and never SQL text: a value
with a quote in it cannot end the literal.

>>> f = RowFilter.parse("district = {user.district}")
>>> f.render({"district": "O'Neil"}, ("district",))
"district = 'O''Neil'"
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import ParseError

DIALECT = "duckdb"
ATTRIBUTES = ("agency", "district", "name")
_PLACEHOLDER = re.compile(r"\{user\.([A-Za-z_][A-Za-z0-9_]*)\}")
# A placeholder is parsed as a column with this prefix, then swapped for a literal: the template
# is parsed once and the attribute value never goes through the SQL parser.
_MARK = "__civicfed_attribute_"

# What a row filter may contain: comparisons, boolean logic, IN, BETWEEN, IS NULL, LIKE, CASTs,
# arithmetic and three harmless functions. No subqueries, no table references, no other
# functions: the filter runs at the source, in that source's SQL, before anything else.
_ALLOWED = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Paren,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.In,
    exp.Between,
    exp.Is,
    exp.Like,
    exp.ILike,
    exp.Cast,
    exp.DataType,
    exp.DataTypeParam,
    exp.Tuple,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Neg,
    exp.Lower,
    exp.Upper,
    exp.Coalesce,
    exp.CurrentDate,
)


class RowFilterError(ValueError):
    """A row filter that cannot be used; the message says why and what is allowed."""


class MissingAttribute(LookupError):
    """The principal lacks an attribute the filter needs (the decision then denies)."""

    def __init__(self, attribute: str) -> None:
        super().__init__(attribute)
        self.attribute = attribute


class UnknownColumn(LookupError):
    """The filter names a column the table does not have (the decision then denies)."""


@dataclass(frozen=True)
class RowFilter:
    """One or more validated conditions, ANDed; ``text`` is what the grants wrote."""

    parts: tuple[exp.Expr, ...]
    text: str

    @classmethod
    def parse(cls, template: str) -> RowFilter:
        """Return the validated template, or raise ``RowFilterError``."""
        if not isinstance(template, str) or not template.strip():
            raise RowFilterError("row_filter must be a non-empty SQL condition")
        if _MARK in template:
            raise RowFilterError(f"row_filter must not contain {_MARK!r}")
        for name in _PLACEHOLDER.findall(template):
            if name not in ATTRIBUTES:
                raise RowFilterError(
                    f"unknown attribute {{user.{name}}}; row filters may use "
                    + ", ".join(f"{{user.{a}}}" for a in ATTRIBUTES)
                )
        marked = _PLACEHOLDER.sub(lambda m: _MARK + m.group(1), template)
        if "{" in marked or "}" in marked:
            raise RowFilterError(
                "row_filter has a brace that is not a {user.<attribute>} placeholder"
            )
        try:
            statements = sqlglot.parse(marked, dialect=DIALECT)
        except ParseError as exc:
            raise RowFilterError(f"row_filter is not valid SQL: {_first_line(exc)}") from None
        if len(statements) != 1 or statements[0] is None:
            raise RowFilterError("row_filter must be one SQL condition, not several statements")
        tree = statements[0]
        _check_shape(tree)
        return cls((tree,), template)

    @classmethod
    def all_of(cls, filters: Iterable[RowFilter | None]) -> RowFilter | None:
        """Return the conjunction of the filters (None when there are none)."""
        present = [f for f in filters if f is not None]
        if not present:
            return None
        if len(present) == 1:
            return present[0]
        parts = tuple(p for f in present for p in f.parts)
        return cls(parts, " AND ".join(f"({f.text})" for f in present))

    @property
    def attributes(self) -> frozenset[str]:
        """The principal attributes the filter needs."""
        return frozenset(
            c.name[len(_MARK) :]
            for part in self.parts
            for c in part.find_all(exp.Column)
            if c.name.startswith(_MARK)
        )

    @property
    def columns(self) -> frozenset[str]:
        """The table columns the filter reads."""
        return frozenset(
            c.name
            for part in self.parts
            for c in part.find_all(exp.Column)
            if not c.name.startswith(_MARK)
        )

    def render(self, attributes: Mapping[str, str], table_columns: Sequence[str]) -> str:
        """Return DuckDB SQL with the attributes as literals and columns spelt as the table
        spells them; raise ``MissingAttribute`` or ``UnknownColumn``."""
        by_lower = {c.lower(): c for c in table_columns}

        def substitute(node: exp.Expr) -> exp.Expr:
            if not isinstance(node, exp.Column):
                return node
            if node.name.startswith(_MARK):
                attribute = node.name[len(_MARK) :]
                value = attributes.get(attribute)
                if value is None or value == "":
                    raise MissingAttribute(attribute)
                return exp.Literal.string(str(value))
            actual = by_lower.get(node.name.lower())
            if actual is None:
                raise UnknownColumn(node.name)
            return exp.column(actual, quoted=not _plain(actual))

        rendered = [p.copy().transform(substitute) for p in self.parts]
        if len(rendered) == 1:
            return rendered[0].sql(dialect=DIALECT)
        return " AND ".join(exp.paren(r, copy=False).sql(dialect=DIALECT) for r in rendered)


def _check_shape(tree: exp.Expr) -> None:
    if isinstance(tree, exp.Literal | exp.Null):
        raise RowFilterError("row_filter must be a condition such as district = {user.district}")
    for node in tree.walk():
        if not isinstance(node, _ALLOWED):
            raise RowFilterError(
                f"row_filter may not use {node.key.upper()}: only comparisons, AND/OR/NOT, IN, "
                "BETWEEN, IS NULL, LIKE, CAST, arithmetic and lower/upper/coalesce/current_date "
                "over the table's own columns"
            )
        if isinstance(node, exp.Column) and node.table:
            raise RowFilterError(
                f"row_filter columns are the table's own: write {node.name}, not {node.sql()}"
            )
        quoted_mark = isinstance(node, exp.Identifier) and node.quoted and _MARK in node.name
        if quoted_mark or (isinstance(node, exp.Literal) and node.is_string and _MARK in node.this):
            raise RowFilterError(
                "write placeholders without quotes ({user.district}, not '{user.district}'): "
                "they become quoted literals"
            )


def _plain(name: str) -> bool:
    """Whether ``name`` reads the same unquoted (lower case, not a keyword)."""
    return (
        re.fullmatch(r"[a-z_][a-z0-9_]*", name) is not None
        and name.upper() not in DuckDB.Tokenizer.KEYWORDS
    )


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
