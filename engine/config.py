"""``civicfed.toml``: typed, validated once at load, with errors that name file, key and fix."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.errors import ConfigError

SOURCE_KINDS = ("sqlite", "duckdb", "parquet", "csv", "postgres", "mysql")
ROLES = ("platform_admin", "data_owner", "agency_manager", "user", "analyst", "auditor")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FederationSettings(_Strict):
    data_dir: str = "var"
    metadata_url: str | None = None
    query_timeout_s: float = 60.0
    memory_limit: str = "4GB"
    threads: int = 2
    plan_cache_size: int = 512
    # A deployment may require document numbers to follow its register's format, e.g.
    # "^北市.+字第\\d+號$"; unset, any non-blank number is accepted.
    document_no_pattern: str | None = None

    @field_validator("document_no_pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern


class AccountSettings(_Strict):
    """Password and session rules for API accounts (the procedure: change every three months)."""

    password_max_age_days: int = Field(default=90, ge=1, le=3650)
    password_history: int = Field(default=5, ge=1, le=50)
    password_min_length: int = Field(default=12, ge=8, le=256)
    lockout_threshold: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=10080)
    token_ttl_minutes: int = Field(default=480, ge=1, le=10080)


class ApiSettings(_Strict):
    """Limits of the HTTP API (``civicfed serve``)."""

    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    max_sql_chars: int = Field(default=100_000, ge=100)
    max_rows_per_request: int = Field(default=10_000, ge=1)


class Agency(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    name: str


class SourceConfig(_Strict):
    kind: Literal["sqlite", "duckdb", "parquet", "csv", "postgres", "mysql"]
    owner: str
    path: str | None = None
    dsn: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    timeout_s: float = Field(default=30.0, gt=0)
    description: str | None = None


class PurposeConfig(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: str


class UserConfig(_Strict):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
    agency: str
    roles: list[str] = ["user"]
    district: str | None = None
    display_name: str | None = None

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        unknown = [r for r in roles if r not in ROLES]
        if unknown:
            raise ValueError(f"unknown role(s) {unknown}; roles are {', '.join(ROLES)}")
        return roles


class RequiredCondition(_Strict):
    column: str
    max_values: int = Field(default=1, ge=1, le=1000)


class AggregateOnly(_Strict):
    min_group: int = Field(ge=2)
    entity: str


class GrantConfig(_Strict):
    user: str | None = None
    agency: str | None = None
    table: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.([A-Za-z_][A-Za-z0-9_]*|\*)$")
    columns: dict[str, str] | Literal["*"]
    row_filter: str | None = None
    require: list[RequiredCondition] = []
    aggregate_only: AggregateOnly | None = None
    max_rows: int | None = Field(default=None, ge=1)
    purposes: list[str] = []
    valid_from: str | None = None
    valid_until: str | None = None


class TemplateParam(_Strict):
    name: str = Field(pattern=_NAME)
    type: Literal["national_id", "text", "integer", "date"] = "text"
    label: str


class TemplateConfig(_Strict):
    """A named, parameterised query an owner defines (the application form's query
    conditions); ``$name`` in ``sql`` takes the parameter of that name."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    description: str | None = None
    sql: str
    params: list[TemplateParam] = []
    purposes: list[str] = []


class CatalogConfig(_Strict):
    federation: FederationSettings = FederationSettings()
    accounts: AccountSettings = AccountSettings()
    api: ApiSettings = ApiSettings()
    agencies: list[Agency] = []
    sources: dict[str, SourceConfig] = {}
    purposes: list[PurposeConfig] = []
    users: list[UserConfig] = []
    grants: list[GrantConfig] = []
    templates: list[TemplateConfig] = []


class LoadedConfig:
    """A validated configuration plus the folder its relative paths resolve against."""

    def __init__(self, config: CatalogConfig, path: Path) -> None:
        self.config = config
        self.path = path
        self.base_dir = path.parent

    def resolve(self, relative: str) -> Path:
        p = Path(relative).expanduser()
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    @property
    def data_dir(self) -> Path:
        return self.resolve(self.config.federation.data_dir)


def default_config_path() -> Path:
    """``$CIVICFED_CONFIG``, else ``./civicfed.toml``."""
    return Path(os.environ.get("CIVICFED_CONFIG", "civicfed.toml"))


def load_config(path: str | os.PathLike[str] | None = None) -> LoadedConfig:
    """Read, expand ``${VAR}`` references and validate a configuration file."""
    file = Path(path) if path is not None else default_config_path()
    if not file.is_file():
        raise ConfigError(
            f"{file}: configuration file not found; pass --config, set CIVICFED_CONFIG, "
            "or run `civicfed demo setup` to create one"
        )
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    raw = _expand_env(raw, file, [])
    try:
        config = CatalogConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(file, exc)) from None
    loaded = LoadedConfig(config, file.resolve())
    _cross_check(loaded)
    return loaded


def _expand_env(value: Any, file: Path, key: list[str]) -> Any:
    if isinstance(value, dict):
        return {k: _expand_env(v, file, [*key, k]) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, file, [*key, str(i)]) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(
                    f"{file}: {'.'.join(key)} refers to ${{{name}}}, which is not set in the "
                    f"environment; export {name} or write the value in the file"
                )
            return os.environ[name]

        return _ENV_REF.sub(sub, value)
    return value


def _describe(file: Path, exc: ValidationError) -> str:
    lines = [f"{file}: invalid configuration"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key; remove it or check its spelling"
        elif err["type"] == "missing":
            msg = "required key is missing; add it"
        lines.append(f"  {key}: {msg}")
    return "\n".join(lines)


def _cross_check(loaded: LoadedConfig) -> None:
    cfg = loaded.config
    file = loaded.path
    agencies = {a.code for a in cfg.agencies}
    purposes = {p.code for p in cfg.purposes}
    users = {u.name for u in cfg.users}

    def fail(key: str, message: str) -> None:
        raise ConfigError(f"{file}: {key}: {message}")

    for name, src in cfg.sources.items():
        key = f"sources.{name}"
        if not re.match(_NAME, name):
            fail(key, "source names must be identifiers (letters, digits, underscore)")
        if src.kind in ("postgres", "mysql"):
            if not src.dsn:
                fail(f"{key}.dsn", f'a {src.kind} source needs dsn = "{src.kind}://user@host/db"')
        elif not src.path:
            fail(f"{key}.path", f'a {src.kind} source needs path = "…" (relative to the file)')
        if agencies and src.owner not in agencies:
            fail(f"{key}.owner", f"agency {src.owner!r} is not declared under [[agencies]]")
    for i, user in enumerate(cfg.users):
        if agencies and user.agency not in agencies:
            fail(f"users.{i}.agency", f"agency {user.agency!r} is not declared under [[agencies]]")
    for i, grant in enumerate(cfg.grants):
        key = f"grants.{i}"
        if (grant.user is None) == (grant.agency is None):
            fail(key, 'a grant names exactly one of user = "…" or agency = "…"')
        if grant.user is not None and grant.user not in users:
            fail(f"{key}.user", f"user {grant.user!r} is not declared under [[users]]")
        if grant.agency is not None and agencies and grant.agency not in agencies:
            fail(f"{key}.agency", f"agency {grant.agency!r} is not declared under [[agencies]]")
        source = grant.table.split(".", 1)[0]
        if source not in cfg.sources:
            fail(f"{key}.table", f"source {source!r} is not declared under [sources]")
        for code in grant.purposes:
            if code not in purposes:
                fail(f"{key}.purposes", f"purpose {code!r} is not declared under [[purposes]]")
    seen: set[str] = set()
    for i, template in enumerate(cfg.templates):
        key = f"templates.{i}"
        if template.name in seen:
            fail(f"{key}.name", f"template {template.name!r} is declared twice")
        seen.add(template.name)
        for code in template.purposes:
            if code not in purposes:
                fail(f"{key}.purposes", f"purpose {code!r} is not declared under [[purposes]]")
        # Imported here: the template module needs sqlglot, the rest of the config does not.
        from engine.templates import TemplateError, slots

        try:
            used = slots(template.sql)
        except TemplateError as exc:
            fail(f"{key}.sql", str(exc))
        declared = [p.name for p in template.params]
        if len(set(declared)) != len(declared):
            fail(f"{key}.params", "a parameter name is declared twice")
        if missing := sorted(used - set(declared)):
            fail(f"{key}.sql", f"uses ${missing[0]}, which is not declared under params")
        if unused := sorted(set(declared) - used):
            fail(f"{key}.params", f"parameter {unused[0]!r} is not used in the SQL")
