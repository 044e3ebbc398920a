"""The web pages in a real browser: uvicorn serving the API and the pages over a small demo,
driven by Playwright in Debian's headless Chromium.

Without /usr/bin/chromium the tests are skipped with the reason; under CI=true they fail, as the
server tests do (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from demo.scenario import CREDENTIALS_FILE, read_facts, setup
from engine import Federation
from tests.conftest import IN_CI
from tests.live_server import serving

HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("CIVICFED_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = HERE.parents[1] / "test-artifacts" / "screenshots"
# A failed fetch (a denial, the 404 of an endpoint not there yet) is logged by the browser as a
# console error; the page shows it to the user, so only uncaught script errors fail a test.
_EXPECTED_CONSOLE = ("Failed to load resource",)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "browser: drives Chromium (skipped without it, failed under CI=true); "
        "deselect with -m 'not browser'",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE) and "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveSite:
    url: str
    directory: Path
    fed: Federation
    passwords: dict[str, str]
    facts: dict[str, Any]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def headers(self, user: str, password: str | None = None) -> dict[str, str]:
        with self.client() as client:
            response = client.post(
                "/v1/auth/token",
                json={"username": user, "password": password or self.passwords[user]},
            )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"{message}; the browser tests must run under CI=true")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    directory = tmp_path_factory.mktemp("web-demo")
    # 20 000 persons: enough that most (district, programme) groups pass the analyst's
    # minimum group size, so the statistics have rows and suppressed groups both.
    setup(directory, scale=20_000, seed=17)
    fed = Federation.open(directory / "civicfed.toml")
    passwords = json.loads((directory / CREDENTIALS_FILE).read_text(encoding="utf-8"))
    with serving(create_app(fed)) as url:
        yield LiveSite(url, directory, fed, passwords, read_facts(directory))
    fed.close()


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (its own sessionStorage); uncaught script errors fail the test."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-TW")
    context.set_default_timeout(20_000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and not message.text.startswith(_EXPECTED_CONSOLE)
            else None
        ),
    )
    yield tab
    context.close()
    assert not problems, problems


def sign_in(page: Any, site: LiveSite, user: str, password: str | None = None) -> None:
    """Signs in on the sign-in page and waits for the role's page to be ready."""
    page.goto(site.url + "/")
    form = page.locator("#login-form")
    form.get_by_label("帳號").fill(user)
    form.get_by_label("密碼").fill(password or site.passwords[user])
    form.get_by_role("button", name="登入 Sign in").click()
    page.wait_for_url("**/web/**")
    page.wait_for_selector("body[data-ready=true]")


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
