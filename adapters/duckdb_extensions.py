"""DuckDB's scanner extensions, loaded from the wheels pip installed (never downloaded).

The server adapters read through a private DuckDB database with the postgres or mysql extension
loaded. Its extension file ships inside the ``duckdb-extension-*-scanner`` wheel pinned to the
same DuckDB version, so ``LOAD '<path>'`` works offline, and autoinstall/autoload stay off: the
private database never fetches or picks up anything by itself.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

import duckdb

__all__ = ["extension_path", "load_extension"]

_PACKAGES = {
    "postgres": "duckdb_extension_postgres_scanner",
    "mysql": "duckdb_extension_mysql_scanner",
}


@functools.cache
def extension_path(name: str) -> Path:
    """Return the ``.duckdb_extension`` file of the scanner ``name`` (postgres, mysql).

    Raises RuntimeError, naming the package to install, when the wheel is missing.
    """
    package = _PACKAGES[name]
    try:
        module = importlib.import_module(package)
    except ImportError:
        wheel = package.replace("_", "-")
        raise RuntimeError(
            f"the {name} source needs the {wheel} package (pip install 'civicfed[server]')"
        ) from None
    found = sorted(Path(module.__file__ or "").parent.rglob("*.duckdb_extension"))
    if not found:
        raise RuntimeError(f"{package} ships no .duckdb_extension file; reinstall it")
    return found[0]


def load_extension(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    """LOAD the scanner ``name`` into ``connection`` from its wheel."""
    path = str(extension_path(name)).replace("'", "''")
    connection.execute(f"LOAD '{path}'")
