"""The HTTP API (DESIGN.md §3): FastAPI over one Federation, served by `civicfed serve`."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from api import errors, web
from api.context import ApiContext
from api.governance import Governance
from api.limits import BodyLimit
from api.routes import audit, auth, catalog, governance, query, templates
from engine import Federation
from engine.config import default_config_path

DESCRIPTION = """
civicfed federates the city's databases. Every query states the case it serves and runs under
the grants the data owners approved; every query is recorded in a tamper-evident audit log.

Sign in with `POST /v1/auth/token`, then send `Authorization: Bearer <token>`. Errors always
have the shape `{"error": {"code", "message", "query_id"}}`: 400 invalid, 401 not signed in,
403 denied, 422 purpose missing, 503 a source is unavailable.
"""


def create_app(fed: Federation, *, service: Governance | None = None) -> FastAPI:
    """The API over an open federation (the caller closes it); ``service`` brings a governance
    service with its own clock (tests), else one over ``fed`` is made."""
    app = FastAPI(
        title="civicfed",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "auth", "description": "sign in, passwords"},
            {"name": "queries", "description": "federated queries under the user's grants"},
            {"name": "catalog", "description": "sources, your account, your field set"},
            {"name": "governance", "description": "applications, grants, reviews, accounts"},
            {"name": "audit", "description": "samples, evidence, verification"},
            {"name": "service", "description": "health"},
        ],
    )
    app.state.ctx = ApiContext(fed, fed.loaded.config.api, service or Governance(fed))
    errors.install(app)
    for module in (auth, query, templates, catalog, governance, audit, web):
        app.include_router(module.router)
    app.add_middleware(BodyLimit, max_bytes=fed.loaded.config.api.max_request_bytes)
    return app


def app_from_config(path: str | os.PathLike[str]) -> FastAPI:
    """An app that opens the federation at ``path`` on startup and closes it on shutdown."""
    fed = Federation.open(Path(path))
    app = create_app(fed)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            fed.close()

    app.router.lifespan_context = lifespan
    return app


def app_from_environment() -> FastAPI:
    """The app for ``$CIVICFED_CONFIG`` (uvicorn's factory in each worker process)."""
    return app_from_config(default_config_path())
