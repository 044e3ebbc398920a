"""Just enough TOML writing for ``civicfed.toml``: tables, arrays of tables, inline values.

>>> print(table("sources.fire", {"kind": "csv", "timeout_s": 10}), end="")
[sources.fire]
kind = "csv"
timeout_s = 10
>>> value({"min_group": 10, "entity": "national_id"})
'{ min_group = 10, entity = "national_id" }'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def key(name: str) -> str:
    """Return ``name`` as a TOML key: bare when possible, else a quoted string."""
    return name if _BARE_KEY.fullmatch(name) else string(name)


def string(text: str) -> str:
    """Return ``text`` as a TOML basic string (non-ASCII kept as UTF-8)."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def value(item: Any) -> str:
    """Return ``item`` (str, bool, int, float, date, list or mapping) as an inline TOML value."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, str):
        return string(item)
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if not math.isfinite(item):
            raise ValueError("TOML here takes finite floats only")
        return repr(item)
    if isinstance(item, date):
        return item.isoformat()
    if isinstance(item, list | tuple):
        return "[" + ", ".join(value(v) for v in item) + "]"
    if isinstance(item, Mapping):
        if not item:
            return "{}"
        return "{ " + ", ".join(f"{key(k)} = {value(v)}" for k, v in item.items()) + " }"
    raise TypeError(f"cannot write {type(item).__name__} as TOML")


def _body(entries: Mapping[str, Any]) -> str:
    return "".join(f"{key(k)} = {value(v)}\n" for k, v in entries.items() if v is not None)


def _dotted(header: str) -> str:
    return ".".join(key(part) for part in header.split("."))


def table(header: str, entries: Mapping[str, Any], comment: str | None = None) -> str:
    """Return a ``[header]`` table; ``None`` values are left out."""
    return _comment(comment) + f"[{_dotted(header)}]\n" + _body(entries)


def array_table(header: str, entries: Mapping[str, Any], comment: str | None = None) -> str:
    """Return one ``[[header]]`` entry; ``None`` values are left out."""
    return _comment(comment) + f"[[{_dotted(header)}]]\n" + _body(entries)


def _comment(comment: str | None) -> str:
    if not comment:
        return ""
    return "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
