"""schemathesis against the app's own OpenAPI: whatever a client sends, never a 5xx, and every
error has the one shape. Runs on its own demo so generated requests cannot disturb other tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app
from demo.scenario import setup
from engine import Federation

USERS = ("clerk_daan", "analyst_dbas", "admin", "owner_cra", "manager_daan", "auditor_ethics")


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    directory: Path = tmp_path_factory.mktemp("fuzz-demo")
    setup(directory, scale=1000, seed=5)
    fed = Federation.open(directory / "civicfed.toml")
    app = create_app(fed)
    tokens = {user: fed.accounts.issue_token(user)[0] for user in USERS}
    yield app, tokens
    fed.close()


def _has_error_shape(ctx: object, response: object, case: object) -> bool | None:
    status = getattr(response, "status_code", 0)
    if status >= 400:
        body = json.loads(getattr(response, "content", b"") or b"{}")
        assert set(body) == {"error"}, body
        assert {"code", "message", "query_id"} == set(body["error"]), body
    return None


def test_no_server_errors_and_one_error_shape(
    fuzz_app: tuple[FastAPI, dict[str, str]],
) -> None:
    """Requests generated from every operation's schema, each sent as every role so both the
    allowed and the refused paths see it."""
    app, tokens = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def exercise(case: schemathesis.Case) -> None:
            for user in USERS:
                case.call_and_validate(
                    headers={"Authorization": f"Bearer {tokens[user]}"},
                    checks=[not_a_server_error, _has_error_shape],
                )

        exercise()
