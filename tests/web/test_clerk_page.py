"""The clerk's page in a browser: a case first, then a person looked up across sources."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import LiveSite, screenshot, sign_in

CASE = {
    "文號": "北市安社字第1133012345號",
    "案號": "113-0042",
    "案由": "低收入戶資格複查",
}


def _queries(page: Any) -> list[str]:
    """Records every request the page sends to run a query or a template."""
    sent: list[str] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.url)
            if "/v1/query" in request.url or "/v1/templates/" in request.url
            else None
        ),
    )
    return sent


def _id_field(page: Any) -> Any:
    """The person lookup's national ID field (each template form has one too)."""
    return page.locator("#lookup-form").get_by_label("身分證統一編號")


def _fill_case(page: Any) -> None:
    page.get_by_label("公文文號").fill(CASE["文號"])
    page.get_by_label("案號").fill(CASE["案號"])
    page.get_by_label("案由").fill(CASE["案由"])
    page.get_by_label("查詢目的").select_option("welfare-eligibility")
    page.get_by_label("法令依據").fill("社會救助法第4條")
    page.get_by_role("button", name="確認案件 Set case").click()
    page.get_by_text("已設定案件").wait_for()


def test_lookup_without_a_case_is_refused_in_the_page(page: Any, site: LiveSite) -> None:
    sent = _queries(page)
    sign_in(page, site, "clerk_daan")
    assert page.url.endswith("/web/clerk")
    _id_field(page).fill(site.facts["lookup_person"]["national_id"])
    page.get_by_role("button", name="查詢 Look up").click()
    refusal = page.locator("#lookup-messages [role=alert]")
    refusal.wait_for()
    assert "請先填寫並確認案件" in refusal.inner_text()
    # A case name alone is not a case either.
    page.get_by_label("案由").fill(CASE["案由"])
    page.get_by_role("button", name="確認案件 Set case").click()
    assert "缺少" in page.locator("#case-messages").inner_text()
    page.get_by_role("button", name="查詢 Look up").click()
    # The template forms refuse too.
    form = page.locator("#tpl-welfare-benefits")
    form.get_by_label("身分證統一編號").fill(site.facts["lookup_person"]["national_id"])
    form.get_by_role("button", name="執行 Run").click()
    page.locator(".card:has(#tpl-welfare-benefits) [role=alert]").wait_for()
    page.wait_for_timeout(300)
    assert sent == []


def test_bad_check_digit_is_caught_before_any_request(page: Any, site: LiveSite) -> None:
    sent = _queries(page)
    sign_in(page, site, "clerk_daan")
    _fill_case(page)
    good = site.facts["lookup_person"]["national_id"]
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    _id_field(page).fill(bad)
    page.get_by_role("button", name="查詢 Look up").click()
    assert "檢查碼" in page.locator("#lookup-messages [role=alert]").inner_text()
    assert _id_field(page).get_attribute("aria-invalid") == "true"
    assert sent == []


def test_clerk_looks_a_person_up_across_three_sources(page: Any, site: LiveSite) -> None:
    person = site.facts["lookup_person"]
    sent = _queries(page)
    sign_in(page, site, "clerk_daan")
    _fill_case(page)
    _id_field(page).fill(person["national_id"])
    page.get_by_role("button", name="查詢 Look up").click()
    page.locator("#lookup-results .result-card").first.wait_for()
    cards = page.locator("#lookup-results .result-card")
    by_source = {
        cards.nth(i).get_attribute("data-source"): cards.nth(i) for i in range(cards.count())
    }
    assert {"household", "welfare", "land"} <= set(by_source)
    assert person["name"] in by_source["household"].inner_text()
    assert person["programs"][0] in by_source["welfare"].inner_text()
    assert person["parcels"][0] in by_source["land"].inner_text()
    assert sent, "the lookup went through the API"
    screenshot(page, "clerk-lookup")

    # The case stays for the session: a reload keeps it.
    page.reload()
    page.get_by_text("已設定案件").wait_for()
    assert page.get_by_label("案號").input_value() == CASE["案號"]

    # The print view carries the case and a watermark with the user.
    _id_field(page).fill(person["national_id"])
    page.get_by_role("button", name="查詢 Look up").click()
    page.locator("#lookup-results .result-card").first.wait_for()
    page.emulate_media(media="print")
    header = page.locator("#print-header")
    assert header.is_visible()
    for value in CASE.values():
        assert value in header.inner_text()
    assert "clerk_daan" in page.locator("#watermark").inner_text()
    assert not page.locator("#lookup-form").is_visible()
    screenshot(page, "clerk-print")
    page.emulate_media(media="screen")


def test_a_denied_template_shows_the_reason(page: Any, site: LiveSite) -> None:
    person = site.facts["lookup_person"]
    sign_in(page, site, "clerk_daan")
    page.get_by_label("案號").fill("113-LAND-9")
    page.get_by_label("案由").fill("地籍資料查核")
    page.get_by_label("查詢目的").select_option("land-admin")
    page.get_by_role("button", name="確認案件 Set case").click()
    page.get_by_text("已設定案件").wait_for()

    # Under land-admin the lookup runs only the land template.
    _id_field(page).fill(person["national_id"])
    page.get_by_role("button", name="查詢 Look up").click()
    page.locator("#lookup-results .result-card").first.wait_for()
    cards = page.locator("#lookup-results .result-card")
    assert [cards.nth(i).get_attribute("data-source") for i in range(cards.count())] == ["land"]

    # The household template, run anyway from its form, is refused with the reason.
    form = page.locator("#tpl-household-person")
    form.get_by_label("身分證統一編號").fill(person["national_id"])
    form.get_by_role("button", name="執行 Run").click()
    alert = page.locator(".card:has(#tpl-household-person) [role=alert]")
    alert.wait_for()
    text = alert.inner_text()
    assert "access_denied" in text and "land-admin" in text and "查詢編號" in text
