"""The web pages for each role: static HTML, CSS and JavaScript over the public /v1 API."""

from api.web.router import router

__all__ = ["router"]
