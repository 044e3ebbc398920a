"""The owner's and manager's page in a browser: an owner approves an application narrower,
and the user the manager then hands the grant to can query; a manager applies and reviews."""

from __future__ import annotations

import re
from typing import Any

from tests.governance.helpers import PERSONS_REQUEST
from tests.web.conftest import LiveSite, screenshot, sign_in

CLERK_PURPOSE = {
    "document_no": "北市安社字第1133012345號",
    "case_name": "低收入戶資格複查",
    "purpose": "welfare-eligibility",
}
APPLICATION = {
    **PERSONS_REQUEST,
    "document_ref": "北市安社字第1130009999號",
    "justification": "新進承辦人核對戶籍",
}


def test_owner_approves_narrower_and_the_delegated_user_can_query(
    page: Any, site: LiveSite
) -> None:
    subject = site.facts["lookup_person"]["national_id"]
    manager = site.headers("manager_daan")
    with site.client() as client:
        applied = client.post("/v1/applications", json=APPLICATION, headers=manager)
        assert applied.status_code == 201, applied.text
        app_id = applied.json()["id"]

        sign_in(page, site, "owner_cra")
        assert page.url.endswith("/web/governance")
        card = page.locator(f"article.application[data-id='{app_id}']")
        card.wait_for()
        card.get_by_label("name (read)").uncheck()
        card.get_by_label("備註").fill("姓名不提供")
        screenshot(page, "owner-application-queue")
        card.get_by_role("button", name="核准 Approve").click()
        done = page.locator("#applications-messages .msg.ok")
        done.wait_for()
        grant_id = re.search(r"grant (\S+?)。", done.inner_text())
        assert grant_id is not None
        # The approved grant is listed, without the unchecked column.
        row = page.locator("#grant-list tr", has_text=grant_id.group(1))
        row.wait_for()
        assert "district (read)" in row.inner_text() and "name (read)" not in row.inner_text()
        screenshot(page, "owner-grants")

        decided = client.get(f"/v1/applications/{app_id}", headers=manager).json()
        assert decided["status"] == "approved"
        assert decided["approved_spec"]["columns"] == {"national_id": "read", "district": "read"}
        created = client.post(
            "/v1/accounts",
            json={
                "name": "clerk_web",
                "agency": "DAAN",
                "roles": ["user"],
                "district": "大安區",
                "password": "clerk-web-password-1",
            },
            headers=site.headers("admin"),
        )
        assert created.status_code == 201, created.text
        delegated = client.post(
            f"/v1/grants/{grant_id.group(1)}/delegate", json={"user": "clerk_web"}, headers=manager
        )
        assert delegated.status_code == 201, delegated.text
        clerk = site.headers("clerk_web", "clerk-web-password-1")
        sql = f"SELECT national_id, district FROM household.persons WHERE national_id = '{subject}'"
        result = client.post(
            "/v1/query", json={"sql": sql, "purpose": CLERK_PURPOSE}, headers=clerk
        )
        assert result.status_code == 200, result.text
        assert result.json()["rows"] == [{"national_id": subject, "district": "大安區"}]
        named = sql.replace("national_id, district", "name")
        refused = client.post(
            "/v1/query", json={"sql": named, "purpose": CLERK_PURPOSE}, headers=clerk
        )
        assert refused.status_code == 403

        # Back in the page: the owner sees who used the source, then revokes the grant, and
        # the delegated one goes with it.
        page.get_by_role("button", name="查看 Show").click()
        page.locator("#usage-list tr", has_text="clerk_web").wait_for()
        # The list is redrawn when the answer comes: act on the new one.
        with page.expect_response(lambda r: "/v1/grants?" in r.url):
            page.locator("#grants-filter button").click()
        agency_row = page.locator("#grant-list tbody tr", has_text=grant_id.group(1)).first
        agency_row.get_by_label(f"Reason to revoke {grant_id.group(1)}").fill("案件結束")
        agency_row.get_by_role("button", name="撤銷 Revoke").click()
        revoked = page.locator("#grants-messages .msg.ok")
        revoked.wait_for()
        assert grant_id.group(1) in revoked.inner_text()
        after = client.post("/v1/query", json={"sql": sql, "purpose": CLERK_PURPOSE}, headers=clerk)
        assert after.status_code == 400 and after.json()["error"]["code"] == "invalid_query"


def test_manager_applies_and_reviews_the_agency_rights(page: Any, site: LiveSite) -> None:
    with site.client() as client:
        ran = client.post(
            "/v1/templates/welfare-benefits",
            json={
                "params": {"national_id": site.facts["lookup_person"]["national_id"]},
                "purpose": CLERK_PURPOSE,
            },
            headers=site.headers("clerk_daan"),
        )
        asked = client.post(
            "/v1/evidence",
            json={"query_id": ran.json()["query_id"], "what": "請提供申請書影本"},
            headers=site.headers("owner_dsw"),
        )
        assert asked.status_code == 201, asked.text
    sign_in(page, site, "manager_daan")
    # The owner's evidence request is answered from the page.
    request = page.locator("#evidence-list tbody tr", has_text=ran.json()["query_id"])
    request.get_by_label("Evidence for").fill("申請書影本已上傳公文系統")
    request.get_by_role("button", name="回覆 Answer").click()
    page.locator("#evidence-messages .msg.ok").wait_for()
    page.get_by_label("資料表").select_option("welfare.recipients")
    page.get_by_label("欄位 Columns").fill("national_id=read\nprogram=read")
    page.locator("#apply-purposes").get_by_label("welfare-eligibility").check()
    page.get_by_label("須指定欄位").fill("national_id")
    page.get_by_label("公文文號").fill("北市安社字第1130007777號")
    page.get_by_label("申請理由").fill("核對補助項目")
    page.get_by_role("button", name="送出申請 Apply").click()
    sent = page.locator("#apply-messages .msg.ok")
    sent.wait_for()
    app_id = re.search(r"(app-\S+?)，", sent.inner_text())
    assert app_id is not None
    with site.client() as client:
        stored = client.get(
            f"/v1/applications/{app_id.group(1)}", headers=site.headers("owner_dsw")
        ).json()
    assert stored["status"] == "pending" and stored["spec"]["columns"] == {
        "national_id": "read",
        "program": "read",
    }
    assert stored["spec"]["require"] == [{"column": "national_id", "max_values": 10}]

    # Once the owner approves, the manager hands part of the grant to a clerk in the page.
    with site.client() as client:
        approved = client.post(
            f"/v1/applications/{app_id.group(1)}/approve",
            json={},
            headers=site.headers("owner_dsw"),
        )
        assert approved.status_code == 200, approved.text
        agency_grant = approved.json()["grant_id"]
        # The list is redrawn when the answer comes: act on the new one.
        with page.expect_response(lambda r: "/v1/grants?" in r.url):
            page.locator("#grants-filter button").click()
        page.locator(f"#delegate-grant option[value='{agency_grant}']").wait_for(state="attached")
        page.get_by_label("機關授權").select_option(agency_grant)
        page.get_by_label("program (read)").uncheck()
        page.get_by_label("使用者帳號").fill("clerk_daan")
        page.get_by_role("button", name="委派 Delegate").click()
        page.locator("#delegate-messages .msg.ok").wait_for()
        grants = client.get("/v1/grants", headers=site.headers("manager_daan")).json()
        still_open = client.get("/v1/evidence", headers=site.headers("manager_daan")).json()
    assert ran.json()["query_id"] not in {r["query_id"] for r in still_open}
    (handed,) = [g for g in grants if g["parent"] == agency_grant]
    assert handed["user"] == "clerk_daan"
    assert handed["spec"]["columns"] == {"national_id": "read"}

    # A review campaign lists each right of the agency's users with its last use: the
    # clerk has just used household.persons, and not (in this test) welfare.
    with site.client() as client:
        used = client.post(
            "/v1/templates/household-person",
            json={
                "params": {"national_id": site.facts["lookup_person"]["national_id"]},
                "purpose": CLERK_PURPOSE,
            },
            headers=site.headers("clerk_daan"),
        )
    assert used.status_code == 200, used.text
    page.get_by_role("button", name="開始檢視 Start a review").click()
    items = page.locator("#campaign-detail tbody tr")
    items.first.wait_for()
    persons = items.filter(has_text="clerk_daan").filter(has_text="household.persons")
    assert "never used" not in persons.inner_text()
    persons.get_by_role("button", name="保留 Keep").click()
    persons.filter(has_text="keep（manager_daan）").wait_for()
    screenshot(page, "manager-governance")
