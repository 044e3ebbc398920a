"""Serves the web pages: the sign-in page at ``/``, one page per role at ``/web/<page>`` and
their scripts and styles at ``/web/static/<file>``.

The pages are plain files; everything they show comes from the public ``/v1`` API through
``fetch()`` with the signed-in user's bearer token, so the router holds no logic of its own.
Files are looked up by name in a fixed listing (no paths from the request reach the disk), and
every response forbids scripts, styles and connections from anywhere but this server.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.errors import ApiError

_HERE = Path(__file__).parent
PAGES_DIR = _HERE / "pages"
STATIC_DIR = _HERE / "static"
_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
SECURITY_HEADERS = {
    # Nothing inline, nothing from elsewhere: the pages load only this server's files and
    # talk only to this server's API. Blob URLs carry the client-side downloads.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


@cache
def _listing(directory: Path) -> dict[str, Path]:
    """The servable files of ``directory`` by name (read once)."""
    return {p.name: p for p in directory.iterdir() if p.suffix in _MEDIA_TYPES and p.is_file()}


def _file(directory: Path, name: str) -> FileResponse:
    path = _listing(directory).get(name)
    if path is None:
        raise ApiError("not_found", f"there is no page or file {name!r}")
    return FileResponse(path, media_type=_MEDIA_TYPES[path.suffix], headers=SECURITY_HEADERS)


@router.get("/")
def sign_in_page() -> FileResponse:
    """The sign-in page; it sends each user on to their role's page."""
    return _file(PAGES_DIR, "login.html")


@router.get("/web/static/{name}")
def static_file(name: str) -> FileResponse:
    return _file(STATIC_DIR, name)


@router.get("/web/{page}")
def role_page(page: str) -> FileResponse:
    """``clerk``, ``analyst``, ``governance``, ``auditor`` or ``accounts``."""
    return _file(PAGES_DIR, f"{page}.html")
