"""The HTTP API against a running server over the demo: sign-in, queries as JSON and Arrow,
the one error shape with its status codes, permitted fields per user, limits."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pyarrow as pa
import pytest
import sqlalchemy as sa

from tests.api.conftest import CLERK_PURPOSE, STATS_PURPOSE, LiveApi

ARROW = "application/vnd.apache.arrow.stream"


def _error(response: httpx.Response, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "query_id"}
    assert body["error"]["code"] == code
    error: dict[str, str] = body["error"]
    return error


def _lookup_sql(api: LiveApi, columns: str = "national_id, name, district") -> str:
    subject = api.facts["lookup_person"]["national_id"]
    return f"SELECT {columns} FROM household.persons WHERE national_id = '{subject}'"


def test_health_needs_no_token(live_api: LiveApi) -> None:
    with live_api.client() as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["sources"] == 5


def test_sign_in_gives_a_bearer_token_with_expiry(live_api: LiveApi) -> None:
    with live_api.client() as client:
        response = client.post(
            "/v1/auth/token",
            json={"username": "clerk_daan", "password": live_api.passwords["clerk_daan"]},
        )
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        expires = dt.datetime.fromisoformat(body["expires_at"])
        assert expires > dt.datetime.now(dt.UTC)
        me = client.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["agency"] == "DAAN" and me.json()["roles"] == ["user"]


def test_wrong_password_and_unknown_user_get_the_same_401(live_api: LiveApi) -> None:
    with live_api.client() as client:
        wrong = client.post(
            "/v1/auth/token", json={"username": "owner_dsw", "password": "not-the-password"}
        )
        unknown = client.post(
            "/v1/auth/token", json={"username": "nobody_here", "password": "not-the-password"}
        )
    a = _error(wrong, 401, "invalid_credentials")
    b = _error(unknown, 401, "invalid_credentials")
    assert a["message"] == b["message"]
    assert wrong.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic Zm9vOmJhcg=="}],
    ids=["no-token", "forged-token", "basic-auth"],
)
def test_queries_need_a_valid_token(live_api: LiveApi, headers: dict[str, str]) -> None:
    with live_api.client() as client:
        response = client.post(
            "/v1/query", json={"sql": "SELECT 1", "purpose": CLERK_PURPOSE}, headers=headers
        )
    _error(
        response, 401, "unauthenticated" if "Bearer" not in str(headers) else "invalid_credentials"
    )


def test_clerk_lookup_as_json(live_api: LiveApi) -> None:
    person = live_api.facts["lookup_person"]
    before = live_api.fed.audit.size()
    with live_api.client() as client:
        response = client.post(
            "/v1/query",
            json={"sql": _lookup_sql(live_api), "purpose": CLERK_PURPOSE},
            headers=live_api.headers("clerk_daan"),
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rows"] == [
        {"national_id": person["national_id"], "name": person["name"], "district": "大安區"}
    ]
    assert [c["name"] for c in body["columns"]] == ["national_id", "name", "district"]
    assert body["row_count"] == 1 and body["truncated"] is False
    assert response.headers["x-civicfed-query-id"] == body["query_id"]
    event = live_api.fed.audit.find_query(body["query_id"])
    assert event is not None and event["user"] == "clerk_daan" and event["outcome"] == "ok"
    assert event["purpose"]["case_no"] == CLERK_PURPOSE["case_no"]
    # The sign-in and the query, nothing lost.
    assert live_api.fed.audit.size() == before + 2


def test_arrow_stream_carries_the_same_rows(live_api: LiveApi) -> None:
    headers = {**live_api.headers("clerk_daan"), "Accept": ARROW}
    sql = _lookup_sql(live_api, "national_id, name, birth_date, district")
    with live_api.client() as client:
        arrow = client.post(
            "/v1/query", json={"sql": sql, "purpose": CLERK_PURPOSE}, headers=headers
        )
        as_json = client.post(
            "/v1/query",
            json={"sql": sql, "purpose": CLERK_PURPOSE},
            headers=live_api.headers("clerk_daan"),
        )
    assert arrow.status_code == 200 and arrow.headers["content-type"] == ARROW
    table = pa.ipc.open_stream(arrow.content).read_all()
    assert table.column_names == ["national_id", "name", "birth_date", "district"]
    assert pa.types.is_date32(table.schema.field("birth_date").type)
    rows = [
        {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()}
        for row in table.to_pylist()
    ]
    assert rows == as_json.json()["rows"]
    assert arrow.headers["x-civicfed-row-count"] == "1"


def test_denied_column_is_403_with_the_error_shape(live_api: LiveApi) -> None:
    with live_api.client() as client:
        response = client.post(
            "/v1/query",
            json={"sql": _lookup_sql(live_api, "national_id, phone"), "purpose": CLERK_PURPOSE},
            headers=live_api.headers("clerk_daan"),
        )
    error = _error(response, 403, "access_denied")
    assert error["query_id"]
    event = live_api.fed.audit.find_query(error["query_id"])
    assert event is not None and event["outcome"] == "denied"


@pytest.mark.parametrize(
    "purpose",
    [
        None,
        {"case_name": "低收入戶資格複查", "purpose": "welfare-eligibility"},
        {"case_no": "1", "case_name": "x", "purpose": "no-such-purpose"},
        {"case_no": 7, "case_name": ["not", "text"], "purpose": "welfare-eligibility"},
        {**CLERK_PURPOSE, "extra": "field"},
    ],
    ids=["missing", "no-document-or-case-no", "unknown-code", "wrong-types", "unknown-field"],
)
def test_missing_or_bad_purpose_is_422(live_api: LiveApi, purpose: object) -> None:
    body: dict[str, object] = {"sql": _lookup_sql(live_api)}
    if purpose is not None:
        body["purpose"] = purpose
    with live_api.client() as client:
        response = client.post("/v1/query", json=body, headers=live_api.headers("clerk_daan"))
    _error(response, 422, "purpose_required")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"sql": "DROP TABLE household.persons", "purpose": CLERK_PURPOSE}, "invalid_query"),
        ({"sql": "SELEC nonsense", "purpose": CLERK_PURPOSE}, "invalid_query"),
        ({"purpose": CLERK_PURPOSE}, "invalid_request"),
        ({"sql": 42, "purpose": CLERK_PURPOSE}, "invalid_request"),
        ({"sql": "SELECT 1", "purpose": CLERK_PURPOSE, "max_rows": 0}, "invalid_request"),
        ({"sql": "SELECT 1", "purpose": CLERK_PURPOSE, "surprise": 1}, "invalid_request"),
    ],
    ids=["ddl", "syntax", "no-sql", "sql-not-text", "max-rows-zero", "unknown-key"],
)
def test_bad_requests_are_400(live_api: LiveApi, body: dict[str, object], code: str) -> None:
    with live_api.client() as client:
        response = client.post("/v1/query", json=body, headers=live_api.headers("clerk_daan"))
    _error(response, 400, code)


def test_malformed_json_is_400_not_500(live_api: LiveApi) -> None:
    headers = {**live_api.headers("clerk_daan"), "Content-Type": "application/json"}
    with live_api.client() as client:
        response = client.post("/v1/query", content=b'{"sql": "SELECT 1", ', headers=headers)
    _error(response, 400, "invalid_request")


def test_oversized_body_is_413(live_api: LiveApi) -> None:
    limit = live_api.fed.loaded.config.api.max_request_bytes
    sql = "SELECT 1 -- " + "x" * limit
    with live_api.client() as client:
        response = client.post(
            "/v1/query",
            json={"sql": sql, "purpose": CLERK_PURPOSE},
            headers=live_api.headers("clerk_daan"),
        )
    _error(response, 413, "request_too_large")


def test_unknown_route_keeps_the_error_shape(live_api: LiveApi) -> None:
    with live_api.client() as client:
        _error(client.get("/v1/nothing-here"), 404, "not_found")
        _error(client.get("/v1/query"), 405, "method_not_allowed")


def test_request_row_cap_truncates_and_says_so(live_api: LiveApi) -> None:
    sql = "SELECT district, count(*) AS persons FROM household.persons GROUP BY district"
    with live_api.client() as client:
        response = client.post(
            "/v1/query",
            json={"sql": sql, "purpose": STATS_PURPOSE, "max_rows": 3},
            headers=live_api.headers("analyst_dbas"),
        )
    body = response.json()
    assert response.status_code == 200, response.text
    assert body["row_count"] == 3 and body["truncated"] is True


def test_explain_shows_the_sql_sent_to_each_source(live_api: LiveApi) -> None:
    with live_api.client() as client:
        response = client.post(
            "/v1/explain",
            json={"sql": _lookup_sql(live_api), "purpose": CLERK_PURPOSE},
            headers=live_api.headers("clerk_daan"),
        )
    assert response.status_code == 200, response.text
    body = response.json()
    (scan,) = body["scans"]
    assert scan["source"] == "household" and "national_id" in scan["statement"]
    assert "大安區" in scan["statement"]  # the clerk's row filter runs at the source
    assert "household" in body["plan"]


def _fields(api: LiveApi, user: str) -> list[dict[str, object]]:
    with api.client() as client:
        response = client.get("/v1/me/fields", headers=api.headers(user))
    assert response.status_code == 200, response.text
    fields: list[dict[str, object]] = response.json()
    return fields


def test_permitted_fields_for_each_demo_user(live_api: LiveApi) -> None:
    clerk = {(f["table"], f["column"]): f for f in _fields(live_api, "clerk_daan")}
    assert ("household.persons", "phone") not in clerk
    assert ("household.persons", "household_id") not in clerk
    nid = clerk[("household.persons", "national_id")]
    assert nid["mode"] == "read" and nid["required"] == [
        {"column": "national_id", "max_values": 10}
    ]
    assert "大安區" in str(nid["row_filter"]) and nid["max_rows"] == 100
    assert ("welfare.recipients", "monthly_amount") not in clerk
    assert ("land.parcels", "zoning") in clerk and clerk[("land.parcels", "zoning")][
        "row_filter"
    ] is None
    xinyi = {(f["table"], f["column"]): f for f in _fields(live_api, "clerk_xinyi")}
    assert "信義區" in str(xinyi[("household.persons", "district")]["row_filter"])

    analyst = {(f["table"], f["column"]): f for f in _fields(live_api, "analyst_dbas")}
    assert analyst[("household.persons", "national_id")]["mode"] == "join"
    assert analyst[("household.persons", "birth_date")]["mask"] == "year_only"
    assert analyst[("household.persons", "sex")]["aggregate_only"] == {
        "min_group": 10,
        "entity": "national_id",
    }
    assert ("household.persons", "name") not in analyst

    owner = {(f["table"], f["column"]) for f in _fields(live_api, "owner_cra")}
    assert ("household.persons", "phone") in owner
    assert not any(t.startswith("welfare.") for t, _ in owner)
    for reads_no_data in ("admin", "auditor_ethics"):
        assert _fields(live_api, reads_no_data) == []


def test_sources_lists_kinds_owners_and_tables(live_api: LiveApi) -> None:
    with live_api.client() as client:
        response = client.get("/v1/sources", headers=live_api.headers("clerk_daan"))
    assert response.status_code == 200
    by_name = {s["source"]: s for s in response.json()}
    assert by_name["household"]["kind"] == "sqlite" and by_name["household"]["owner"] == "CRA"
    assert by_name["household"]["tables"] == ["households", "persons"]
    assert by_name["fire"]["kind"] == "csv"


def test_lockout_after_repeated_failures(live_api: LiveApi) -> None:
    accounts = live_api.fed.accounts
    accounts.create("lockout_probe", "DAAN", ["user"], created_by="test")
    accounts.set_password("lockout_probe", "a-long-enough-password", by="test")
    threshold = accounts.policy.lockout_threshold
    with live_api.client() as client:
        codes = [
            client.post(
                "/v1/auth/token", json={"username": "lockout_probe", "password": "guess-guess"}
            ).json()["error"]["code"]
            for _ in range(threshold)
        ]
        right = client.post(
            "/v1/auth/token",
            json={"username": "lockout_probe", "password": "a-long-enough-password"},
        )
    assert codes[:-1] == ["invalid_credentials"] * (threshold - 1)
    _error(right, 401, "account_locked")
    refusals = [
        e
        for _, e in live_api.fed.audit.rows_between(
            dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
            dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1),
        )
        if '"lockout_probe"' in e and '"sign_in"' in e
    ]
    assert len(refusals) == threshold + 1


def test_expired_password_must_be_changed_and_not_reused(live_api: LiveApi) -> None:
    accounts = live_api.fed.accounts
    accounts.create("expiry_probe", "DAAN", ["user"], created_by="test")
    accounts.set_password("expiry_probe", "first-password-123", by="test")
    with live_api.client() as client:
        old_token = live_api_token(client, "expiry_probe", "first-password-123")
        _age_password(live_api, "expiry_probe", days=accounts.policy.password_max_age_days + 1)
        _error(
            client.post(
                "/v1/auth/token",
                json={"username": "expiry_probe", "password": "first-password-123"},
            ),
            403,
            "password_expired",
        )
        # A token issued before expiry stops working too.
        response = client.get("/v1/me", headers={"Authorization": f"Bearer {old_token}"})
        _error(response, 403, "password_expired")
        change = {"username": "expiry_probe", "current_password": "first-password-123"}
        reuse = client.post(
            "/v1/auth/password", json={**change, "new_password": "first-password-123"}
        )
        assert "recent" in _error(reuse, 400, "invalid_request")["message"]
        short = client.post("/v1/auth/password", json={**change, "new_password": "short"})
        _error(short, 400, "invalid_request")
        done = client.post(
            "/v1/auth/password", json={**change, "new_password": "second-password-456"}
        )
        assert done.status_code == 204, done.text
        assert live_api_token(client, "expiry_probe", "second-password-456")
    events = [
        json.loads(e)
        for _, e in live_api.fed.audit.rows_between(
            dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
            dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1),
        )
    ]
    assert any(
        e.get("action") == "password_change" and e["target"] == {"user": "expiry_probe"}
        for e in events
    )


def live_api_token(client: httpx.Client, user: str, password: str) -> str:
    response = client.post("/v1/auth/token", json={"username": user, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _age_password(api: LiveApi, user: str, days: int) -> None:
    """Move the password's change date back, as the passing of ``days`` would."""
    accounts = sa.Table("civicfed_accounts", sa.MetaData(), autoload_with=api.fed.metadata_engine)
    with api.fed.metadata_engine.begin() as conn:
        conn.execute(
            accounts.update()
            .where(accounts.c.name == user)
            .values(password_changed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days))
        )


def test_suspended_account_cannot_query_with_a_live_token(live_api: LiveApi) -> None:
    accounts = live_api.fed.accounts
    accounts.create("suspend_probe", "DAAN", ["user"], created_by="test")
    accounts.set_password("suspend_probe", "suspend-probe-password", by="test")
    with live_api.client() as client:
        token = live_api_token(client, "suspend_probe", "suspend-probe-password")
        accounts.set_status("suspend_probe", "suspended", by="test", reason="left the unit")
        response = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
