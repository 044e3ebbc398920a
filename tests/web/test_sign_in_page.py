"""Signing in through the page: each role to its page, errors with their code, an expired
password changed in place, signing out, and a page of another role."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from tests.web.conftest import LiveSite, screenshot, sign_in

ROLE_PAGES = {
    "clerk_daan": "/web/clerk",
    "analyst_dbas": "/web/analyst",
    "owner_dsw": "/web/governance",
    "manager_daan": "/web/governance",
    "auditor_ethics": "/web/auditor",
    "admin": "/web/accounts",
}


@pytest.mark.parametrize(("user", "path"), ROLE_PAGES.items(), ids=list(ROLE_PAGES))
def test_each_role_lands_on_its_page(page: Any, site: LiveSite, user: str, path: str) -> None:
    sign_in(page, site, user)
    assert page.url == site.url + path
    assert user in page.locator("#site-header .who").inner_text()
    page.get_by_role("button", name="登出 Sign out").click()
    page.wait_for_url("**/?signed_out=1")
    assert page.evaluate("sessionStorage.length") == 0


def test_wrong_password_shows_the_code_and_message(page: Any, site: LiveSite) -> None:
    page.goto(site.url + "/")
    page.wait_for_selector("body[data-ready=true]")
    form = page.locator("#login-form")
    form.get_by_label("帳號").fill("clerk_daan")
    form.get_by_label("密碼").fill("not-the-password")
    form.get_by_role("button", name="登入 Sign in").click()
    alert = page.locator("#messages [role=alert]")
    alert.wait_for()
    assert "invalid_credentials" in alert.inner_text()
    screenshot(page, "sign-in-refused")


def test_expired_password_is_changed_in_the_page(page: Any, site: LiveSite) -> None:
    accounts = site.fed.accounts
    accounts.create("expired_web", "DAAN", ["user"], created_by="test", district="大安區")
    accounts.set_password("expired_web", "first-password-web", by="test")
    table = sa.Table("civicfed_accounts", sa.MetaData(), autoload_with=site.fed.metadata_engine)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=accounts.policy.password_max_age_days + 1)
    with site.fed.metadata_engine.begin() as conn:
        conn.execute(
            table.update().where(table.c.name == "expired_web").values(password_changed_at=old)
        )

    page.goto(site.url + "/")
    page.wait_for_selector("body[data-ready=true]")
    login = page.locator("#login-form")
    login.get_by_label("帳號").fill("expired_web")
    login.get_by_label("密碼").fill("first-password-web")
    login.get_by_role("button", name="登入 Sign in").click()
    change = page.locator("#password-form")
    change.wait_for()
    assert change.get_by_label("帳號").input_value() == "expired_web"
    change.get_by_label("新密碼 New password", exact=True).fill("second-password-web")
    change.get_by_label("再輸入一次新密碼").fill("second-password-web")
    screenshot(page, "password-expired")
    change.get_by_role("button", name="變更密碼並登入 Change and sign in").click()
    page.wait_for_url("**/web/clerk")
    page.wait_for_selector("body[data-ready=true]")


def test_a_page_for_another_role_says_whom_it_is_for(page: Any, site: LiveSite) -> None:
    sign_in(page, site, "clerk_daan")
    page.goto(site.url + "/web/auditor")
    notice = page.locator("#messages .msg.warn")
    notice.wait_for()
    assert "auditor" in notice.inner_text()
    assert not page.locator("#picks table").count()


def test_a_page_without_a_token_goes_to_sign_in(page: Any, site: LiveSite) -> None:
    page.goto(site.url + "/web/analyst")
    page.wait_for_url(site.url + "/")


def test_admin_creates_an_account(page: Any, site: LiveSite) -> None:
    sign_in(page, site, "admin")
    page.get_by_label("帳號 Name").fill("clerk_new_web")
    page.get_by_label("機關代碼").fill("DAAN")
    page.get_by_label("行政區").fill("大安區")
    page.get_by_label("初始密碼").fill("clerk-new-web-pass")
    page.get_by_label("承辦人 user").check()
    page.get_by_role("button", name="建立 Create").click()
    page.locator("#create-messages .msg.ok").wait_for()
    page.locator("#account-list tr", has_text="clerk_new_web").wait_for()
    screenshot(page, "admin-accounts")
    assert site.headers("clerk_new_web", "clerk-new-web-pass")
