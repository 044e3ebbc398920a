"""The procedure through HTTP, as the pages use it: apply, approve narrower, create an account,
delegate, query, revoke, review, owner oversight and the auditor's sample — each role with its
own token, each refusal with the error shape."""

from __future__ import annotations

import datetime as dt

import httpx

from tests.api.conftest import CLERK_PURPOSE, LiveApi
from tests.governance.helpers import PERSONS_REQUEST

APPLICATION = PERSONS_REQUEST


def _ok(response: httpx.Response, status: int = 200) -> object:
    assert response.status_code == status, response.text
    return response.json()


def test_application_to_revocation_over_http(live_api: LiveApi) -> None:
    manager = live_api.headers("manager_daan")
    owner = live_api.headers("owner_cra")
    admin = live_api.headers("admin")
    subject = live_api.facts["lookup_person"]["national_id"]
    with live_api.client() as client:
        # A clerk may not apply; the manager may.
        refused = client.post(
            "/v1/applications", json=APPLICATION, headers=live_api.headers("clerk_daan")
        )
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        application = _ok(client.post("/v1/applications", json=APPLICATION, headers=manager), 201)
        assert isinstance(application, dict) and application["status"] == "pending"
        app_id = application["id"]
        pending = _ok(client.get("/v1/applications", params={"status": "pending"}, headers=owner))
        assert app_id in {a["id"] for a in pending}  # type: ignore[union-attr]
        # Another source's owner cannot approve it.
        other = client.post(
            f"/v1/applications/{app_id}/approve", json={}, headers=live_api.headers("owner_dsw")
        )
        assert other.status_code == 403
        narrowed = {"columns": {"national_id": "read", "district": "read"}}
        approved = _ok(
            client.post(
                f"/v1/applications/{app_id}/approve",
                json={"narrowed": narrowed, "note": "姓名不提供"},
                headers=owner,
            )
        )
        assert isinstance(approved, dict) and approved["status"] == "approved"
        agency_grant = approved["grant_id"]
        twice = client.post(
            f"/v1/applications/{app_id}/reject", json={"reason": "late"}, headers=owner
        )
        assert twice.status_code == 400

        # The admin opens an account; the manager delegates the agency grant to it.
        _ok(
            client.post(
                "/v1/accounts",
                json={
                    "name": "clerk_http",
                    "agency": "DAAN",
                    "roles": ["user"],
                    "district": "大安區",
                    "password": "clerk-http-password",
                },
                headers=admin,
            ),
            201,
        )
        _ok(
            client.post(
                f"/v1/grants/{agency_grant}/delegate", json={"user": "clerk_http"}, headers=manager
            ),
            201,
        )
        token = client.post(
            "/v1/auth/token", json={"username": "clerk_http", "password": "clerk-http-password"}
        ).json()["access_token"]
        clerk = {"Authorization": f"Bearer {token}"}
        sql = f"SELECT national_id, district FROM household.persons WHERE national_id = '{subject}'"
        result = _ok(
            client.post("/v1/query", json={"sql": sql, "purpose": CLERK_PURPOSE}, headers=clerk)
        )
        assert isinstance(result, dict) and result["rows"] == [
            {"national_id": subject, "district": "大安區"}
        ]
        name_sql = sql.replace("national_id, district", "name")
        denied = client.post(
            "/v1/query", json={"sql": name_sql, "purpose": CLERK_PURPOSE}, headers=clerk
        )
        assert denied.status_code == 403

        # The review campaign lists the clerk's right with its last use.
        campaign = _ok(client.post("/v1/reviews", json={"agency": "DAAN"}, headers=manager), 201)
        assert isinstance(campaign, dict)
        items = [i for i in campaign["items"] if i["user"] == "clerk_http"]
        assert len(items) == 1 and items[0]["last_used_at"] is not None

        # The owner revokes the agency grant: the delegated one goes with it.
        revoked = _ok(
            client.post(
                f"/v1/grants/{agency_grant}/revoke", json={"reason": "案件結束"}, headers=owner
            )
        )
        assert (
            isinstance(revoked, dict)
            and agency_grant in revoked["revoked"]
            and len(revoked["revoked"]) == 2
        )
        after = client.post("/v1/query", json={"sql": sql, "purpose": CLERK_PURPOSE}, headers=clerk)
        # No grant names the table any more, so to this user it does not exist (invariant:
        # never reveal what one may not see).
        assert after.status_code == 400 and after.json()["error"]["code"] == "invalid_query"
        assert subject not in after.text

        # The owner sees who used the source this month.
        month = dt.date.today().strftime("%Y-%m")
        usage = _ok(client.get("/v1/usage/household", params={"month": month}, headers=owner))
        assert any(u["user"] == "clerk_http" for u in usage)  # type: ignore[union-attr]
        assert (
            client.get("/v1/usage/household", params={"month": month}, headers=manager).status_code
            == 403
        )


def test_auditor_samples_reviews_and_verifies(live_api: LiveApi) -> None:
    auditor = live_api.headers("auditor_ethics")
    subject = live_api.facts["lookup_person"]["national_id"]
    sql = f"SELECT national_id FROM household.persons WHERE national_id = '{subject}'"
    month = dt.date.today().strftime("%Y-%m")
    with live_api.client() as client:
        _ok(
            client.post(
                "/v1/query",
                json={"sql": sql, "purpose": CLERK_PURPOSE},
                headers=live_api.headers("clerk_daan"),
            )
        )
        assert (
            client.get(
                "/v1/audit/sample",
                params={"month": month, "seed": "s1"},
                headers=live_api.headers("clerk_daan"),
            ).status_code
            == 403
        )
        drawn = _ok(
            client.get("/v1/audit/sample", params={"month": month, "seed": "s1"}, headers=auditor)
        )
        assert isinstance(drawn, dict) and drawn["picks"]
        again = _ok(
            client.get("/v1/audit/sample", params={"month": month, "seed": "s1"}, headers=auditor)
        )
        assert isinstance(again, dict)
        first_ids = {p["query_id"] for p in drawn["picks"]}
        assert first_ids <= {p["query_id"] for p in again["picks"]}  # later queries may join
        query_id = drawn["picks"][0]["query_id"]
        step = _ok(
            client.post(
                "/v1/audit/reviews",
                json={
                    "query_id": query_id,
                    "step": "finding",
                    "finding": "案號與公文相符",
                    "verdict": "justified",
                },
                headers=auditor,
            ),
            201,
        )
        assert isinstance(step, dict) and step["step"] == "finding"
        no_verdict = client.post(
            "/v1/audit/reviews", json={"query_id": query_id, "step": "finding"}, headers=auditor
        )
        assert no_verdict.status_code == 400
        events = _ok(client.get(f"/v1/audit/queries/{query_id}", headers=auditor))
        assert [e["type"] for e in events][:2] == ["query", "review"]  # type: ignore[index, union-attr]
        verdict = _ok(client.get("/v1/audit/verify", headers=auditor))
        assert isinstance(verdict, dict) and verdict["ok"] is True


def test_a_refused_initial_password_leaves_no_account(live_api: LiveApi) -> None:
    admin = live_api.headers("admin")
    body = {"name": "short_pw", "agency": "DAAN", "roles": ["user"], "password": "short"}
    with live_api.client() as client:
        response = client.post("/v1/accounts", json=body, headers=admin)
        assert response.status_code == 400 and "at least" in response.json()["error"]["message"]
        names = {a["name"] for a in client.get("/v1/accounts", headers=admin).json()}
    assert "short_pw" not in names and live_api.fed.accounts.get("short_pw") is None
    # Only the platform admin creates accounts.
    with live_api.client() as client:
        refused = client.post(
            "/v1/accounts",
            json={**body, "password": "a-long-enough-one"},
            headers=live_api.headers("manager_daan"),
        )
    assert refused.status_code == 403
