"""The auditor's page in a browser: verification, the month's sample with each query's case
and SQL, a usage chart, and a finding recorded in the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.web.conftest import LiveSite, screenshot, sign_in

PURPOSE = {"case_no": "113-0042", "case_name": "低收入戶資格複查", "purpose": "welfare-eligibility"}


def test_auditor_samples_and_records_a_finding(page: Any, site: LiveSite) -> None:
    subject = site.facts["lookup_person"]["national_id"]
    with site.client() as client:
        ran = client.post(
            "/v1/templates/welfare-benefits",
            json={"params": {"national_id": subject}, "purpose": PURPOSE},
            headers=site.headers("clerk_daan"),
        )
    assert ran.status_code == 200, ran.text

    sign_in(page, site, "auditor_ethics")
    assert page.url.endswith("/web/auditor")
    page.locator("#verify-status .badge.ok").wait_for()
    assert page.get_by_label("月份").input_value() == dt.date.today().strftime("%Y-%m")
    page.get_by_label("亂數種子").fill("web-7")
    page.get_by_role("button", name="抽樣 Draw the sample").click()
    picks = page.locator("#picks tbody tr")
    picks.first.wait_for()
    # Every pick shows why it was drawn, its case and its SQL.
    for i in range(picks.count()):
        pick = picks.nth(i)
        assert pick.locator(".badge.reason").count() >= 1
        assert "案" in pick.inner_text()
        assert "SELECT" in (pick.locator("pre").text_content() or "")
    reasons = page.locator("#picks .badge.reason").all_inner_texts()
    assert any(r.startswith("random 5%") for r in reasons)
    assert page.locator("#usage-chart svg rect.bar").count() >= 1

    review = picks.first.get_by_role("button", name="審查 Review")
    query_id = review.get_attribute("data-query-id")
    review.click()
    assert page.get_by_label("查詢編號").input_value() == query_id
    page.get_by_label("發現").fill("案號與公文相符，查詢合理")
    page.get_by_label("判定").select_option("justified")
    page.get_by_role("button", name="記錄 Record").click()
    page.locator("#review-messages .msg.ok").wait_for()
    page.locator("#events tr", has_text="review").wait_for()
    screenshot(page, "auditor-sample")

    with site.client() as client:
        events = client.get(
            f"/v1/audit/queries/{query_id}", headers=site.headers("auditor_ethics")
        ).json()
    reviews = [e for e in events if e["type"] == "review"]
    assert reviews and reviews[-1]["finding"] == "案號與公文相符，查詢合理"
    assert reviews[-1]["verdict"] == "justified" and reviews[-1]["reviewer"] == "auditor_ethics"


def test_auditor_requests_evidence(page: Any, site: LiveSite) -> None:
    subject = site.facts["lookup_person"]["national_id"]
    with site.client() as client:
        ran = client.post(
            "/v1/templates/land-parcels",
            json={"params": {"national_id": subject}, "purpose": PURPOSE},
            headers=site.headers("clerk_daan"),
        )
    query_id = ran.json()["query_id"]
    sign_in(page, site, "auditor_ethics")
    page.get_by_label("查詢編號").fill(query_id)
    page.get_by_label("步驟").select_option("evidence_requested")
    assert not page.get_by_label("發現").is_visible()
    page.get_by_label("要求的佐證").fill("請提供公文影本")
    page.get_by_role("button", name="記錄 Record").click()
    page.locator("#review-messages .msg.ok").wait_for()
    with site.client() as client:
        events = client.get(
            f"/v1/audit/queries/{query_id}", headers=site.headers("auditor_ethics")
        ).json()
    assert any(e.get("step") == "evidence_requested" for e in events)
