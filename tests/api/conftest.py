"""A real civicfed API over a small embedded demo, served by uvicorn on a free local port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from demo.scenario import CREDENTIALS_FILE, read_facts, setup
from engine import Federation
from tests.live_server import serving

CLERK_PURPOSE = {
    "document_no": "北市安社字第1133012345號",
    "case_no": "113-0042",
    "case_name": "低收入戶資格複查",
    "purpose": "welfare-eligibility",
}
STATS_PURPOSE = {"case_no": "STAT-7", "case_name": "社福統計", "purpose": "statistics"}


@dataclass
class LiveApi:
    url: str
    directory: Path
    fed: Federation
    passwords: dict[str, str]
    facts: dict[str, Any]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def token(self, user: str, client: httpx.Client | None = None) -> str:
        with self.client() as fresh:
            response = (client or fresh).post(
                "/v1/auth/token", json={"username": user, "password": self.passwords[user]}
            )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}


@pytest.fixture(scope="session")
def api_demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("api-demo")
    setup(directory, scale=2000, seed=11)
    return directory


@pytest.fixture(scope="session")
def live_api(api_demo_dir: Path) -> Iterator[LiveApi]:
    fed = Federation.open(api_demo_dir / "civicfed.toml")
    passwords = json.loads((api_demo_dir / CREDENTIALS_FILE).read_text(encoding="utf-8"))
    with serving(create_app(fed)) as url:
        yield LiveApi(url, api_demo_dir, fed, passwords, read_facts(api_demo_dir))
    fed.close()
