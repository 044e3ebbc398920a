"""Query templates over HTTP: each user sees the ones their grants cover, parameters are typed
and validated (a national ID needs its check digit), and a run is an audited query."""

from __future__ import annotations

from tests.api.conftest import CLERK_PURPOSE, LiveApi


def _templates(api: LiveApi, user: str) -> dict[str, dict[str, object]]:
    with api.client() as client:
        response = client.get("/v1/templates", headers=api.headers(user))
    assert response.status_code == 200, response.text
    return {t["name"]: t for t in response.json()}


def test_each_user_sees_the_templates_their_grants_cover(live_api: LiveApi) -> None:
    clerk = _templates(live_api, "clerk_daan")
    assert set(clerk) == {"household-person", "welfare-benefits", "land-parcels", "person-across"}
    assert clerk["person-across"]["sources"] == ["household", "land", "welfare"]
    assert clerk["land-parcels"]["purposes"] == ["welfare-eligibility", "land-admin"]
    assert clerk["household-person"]["params"] == [
        {"name": "national_id", "type": "national_id", "label": "身分證統一編號 National ID",
         "required": True}
    ]  # fmt: skip
    # The analyst's grants are aggregate-only: no person lookup plans for them.
    assert _templates(live_api, "analyst_dbas") == {}
    assert _templates(live_api, "auditor_ethics") == {}


def test_a_template_run_is_an_audited_query(live_api: LiveApi) -> None:
    person = live_api.facts["lookup_person"]
    with live_api.client() as client:
        response = client.post(
            "/v1/templates/household-person",
            json={
                "params": {"national_id": person["national_id"].lower()},
                "purpose": CLERK_PURPOSE,
            },
            headers=live_api.headers("clerk_daan"),
        )
        across = client.post(
            "/v1/templates/person-across",
            json={"params": {"national_id": person["national_id"]}, "purpose": CLERK_PURPOSE},
            headers=live_api.headers("clerk_daan"),
        )
    assert response.status_code == 200, response.text
    (row,) = response.json()["rows"]
    assert row["name"] == person["name"] and row["district"] == "大安區"
    event = live_api.fed.audit.find_query(response.json()["query_id"])
    assert event is not None and event["outcome"] == "ok"
    assert event["purpose"]["case_no"] == CLERK_PURPOSE["case_no"]
    assert across.status_code == 200, across.text
    programs = {r["program"] for r in across.json()["rows"]} - {None}
    assert programs == set(person["programs"])


def test_parameters_are_validated_not_pasted(live_api: LiveApi) -> None:
    nid = live_api.facts["lookup_person"]["national_id"]
    bad = {
        "check digit": {"national_id": nid[:-1] + str((int(nid[-1]) + 1) % 10)},
        "injection": {"national_id": f"{nid}' OR '1'='1"},
        "unknown parameter": {"national_id": nid, "district": "大安區"},
        "missing": {},
        "wrong type": {"national_id": 12345},
    }
    with live_api.client() as client:
        headers = live_api.headers("clerk_daan")
        for label, params in bad.items():
            response = client.post(
                "/v1/templates/household-person",
                json={"params": params, "purpose": CLERK_PURPOSE},
                headers=headers,
            )
            assert response.status_code == 400, (label, response.text)
            assert response.json()["error"]["code"] == "invalid_query", label
        missing_purpose = client.post(
            "/v1/templates/household-person", json={"params": {"national_id": nid}}, headers=headers
        )
        assert missing_purpose.status_code == 422
        unknown = client.post(
            "/v1/templates/no-such-form",
            json={"params": {"national_id": nid}, "purpose": CLERK_PURPOSE},
            headers=headers,
        )
        assert unknown.status_code == 400 and "no query template" in unknown.text


def test_the_row_filter_still_applies(live_api: LiveApi) -> None:
    """The 信義區 clerk runs the same form for a 大安區 person: no row comes back."""
    nid = live_api.facts["lookup_person"]["national_id"]
    with live_api.client() as client:
        response = client.post(
            "/v1/templates/household-person",
            json={"params": {"national_id": nid}, "purpose": CLERK_PURPOSE},
            headers=live_api.headers("clerk_xinyi"),
        )
    assert response.status_code == 200 and response.json()["rows"] == []
