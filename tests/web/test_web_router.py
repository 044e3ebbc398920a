"""The router that serves the pages: a strict content policy, files only by name, nothing
loaded from elsewhere. Plain HTTP, no browser."""

from __future__ import annotations

import re

import pytest

from api.web.router import PAGES_DIR, STATIC_DIR
from tests.web.conftest import LiveSite

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.mark.parametrize("path", ["/", "/web/clerk", "/web/static/common.js"])
def test_pages_come_with_a_strict_content_policy(site: LiveSite, path: str) -> None:
    with site.client() as client:
        response = client.get(path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    ["/web/nothing", "/web/static/router.py", "/web/static/..%2Frouter.py", "/web/static/%2e%2e"],
)
def test_unknown_pages_and_files_are_404_with_the_error_shape(site: LiveSite, path: str) -> None:
    with site.client() as client:
        response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_every_referenced_file_is_served_and_nothing_comes_from_elsewhere(site: LiveSite) -> None:
    files = [*PAGES_DIR.iterdir(), *STATIC_DIR.iterdir()]
    referenced = set()
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://", text.replace(SVG_NAMESPACE, "")), path.name
        assert "innerHTML" not in text and "eval(" not in text, path.name
        referenced |= set(re.findall(r'(?:src|href)="(/web/static/[^"]+)"', text))
        referenced |= {f"/web/static/{m}" for m in re.findall(r'from "\./([^"]+)"', text)}
    assert "/web/static/common.js" in referenced
    with site.client() as client:
        for url in sorted(referenced):
            response = client.get(url)
            assert response.status_code == 200, url
            kind = "text/javascript" if url.endswith(".js") else "text/css"
            assert response.headers["content-type"].startswith(kind), url
