"""The ASGI application: `create_app(settings)` builds everything a server process needs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from desktop_app.forms import Catalogue, DefinitionError, load_catalogue
from desktop_app.reminder_rules import reminder_rules_path, shipped_rules
from registry_server import __version__
from registry_server.db import describe_url, make_engine, make_session_factory, upgrade_database
from registry_server.http_guards import JsonBodiesOnly, NoStore
from registry_server.limits import BodySizeLimit
from registry_server.openapi import truthful_openapi
from registry_server.private_files import private_folder
from registry_server.routes import (
    auth,
    forms,
    health,
    messages,
    receipt_keys,
    receipts,
    reminders,
    statistics,
)
from registry_server.settings import ServerSettings
from registry_server.signing import load_signing_key, publish_key, sign_unsigned_receipts

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(settings: ServerSettings) -> FastAPI:
    """Migrate the database, load the form catalogue, seed demo data if asked, build the app."""
    catalogue = load_catalogue()
    check_definitions(catalogue)  # before the database is touched
    private_folder(settings.data_dir)  # the database and keys live here: this account's only
    engine = make_engine(settings.database_url)
    upgrade_database(engine)
    session_factory = make_session_factory(engine)
    signing_key = load_signing_key(settings.receipt_key_file, settings.data_dir, demo=settings.demo)
    publish_key(session_factory, signing_key)
    sign_unsigned_receipts(session_factory, signing_key)
    if settings.demo:
        from registry_server.demo import seed_demo

        seed_demo(session_factory, catalogue)
        if settings.demo_national:
            from registry_server.demo.national import seed_national_demo

            seed_national_demo(session_factory, catalogue, signing_key, settings.today())
    log.info(
        "Database %s; %d form definitions",
        describe_url(settings.database_url),
        len(catalogue.forms()),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        nightly = None
        if settings.scheduled_jobs:
            from registry_server.jobs.scheduler import NightlyJobs

            nightly = NightlyJobs(session_factory, catalogue, settings.nightly_at, settings.today)
            nightly.start()
        yield
        if nightly is not None:
            nightly.stop()
        engine.dispose()

    app = FastAPI(
        title="Cancer registry reporting API",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.catalogue = catalogue
    app.state.signing_key = signing_key

    for module in (auth, forms, messages, receipts, receipt_keys, reminders, statistics, health):
        app.include_router(module.router, prefix=API_PREFIX)
    app.add_middleware(JsonBodiesOnly, prefix=API_PREFIX)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        batch_path=f"{API_PREFIX}{messages.BATCH_PATH}",
        max_batch_bytes=settings.max_batch_bytes,
    )
    app.add_middleware(NoStore, prefix=API_PREFIX)  # outermost: every answer, refusals too
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _client_left)
    app.add_exception_handler(Exception, _internal_error)
    app.openapi = lambda: truthful_openapi(app)  # type: ignore[method-assign]
    return app


def check_definitions(catalogue: Catalogue) -> None:
    """Read and check the reminder rules and the indicators now, so a broken file stops the
    server at start (DefinitionError naming the file, key and problem) instead of failing the
    nightly job or GET /statistics. Both are cached: the jobs and the route use these."""
    from registry_server.statistics.indicators import indicators_path, shipped_indicators

    for path, load in (
        (reminder_rules_path(), shipped_rules),
        (indicators_path(), shipped_indicators),
    ):
        try:
            load(catalogue)
        except (OSError, UnicodeDecodeError) as error:
            why = getattr(error, "strerror", None) or "not UTF-8 text"
            raise DefinitionError(str(path), "(file)", f"cannot be read ({why})") from error


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "request"
    return f"{where}: {error.get('msg', 'not valid')}"


async def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    # FastAPI's default answer is a list; the API promises one plain sentence.
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(_describe(e) for e in exc.errors())
    detail = f"The request is not valid ({problems}). Correct it and send it again."
    # A field name sent as a lone surrogate ("\ud800") would make the answer unencodable.
    detail = detail.encode("utf-8", "replace").decode("utf-8")
    return JSONResponse({"detail": detail}, status_code=422)


# Starlette's own refusals say only the status phrase; the API promises a sentence.
_SENTENCES = {
    404: f"There is no such address in this API; see {API_PREFIX}/docs for the addresses.",
    405: f"This address does not take that method; see {API_PREFIX}/docs for what it takes.",
}
# FastAPI's answer to a body it cannot decode (e.g. not UTF-8).
_FASTAPI_BODY_ERROR = "There was an error parsing the body"
_BODY_SENTENCE = "The request body is not valid UTF-8 JSON; send it as JSON encoded in UTF-8."


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    detail = exc.detail
    if detail == _FASTAPI_BODY_ERROR:
        detail = _BODY_SENTENCE
    elif not isinstance(detail, str) or detail == HTTPStatus(exc.status_code).phrase:
        detail = _SENTENCES.get(exc.status_code, f"The request was refused ({detail}).")
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


async def _client_left(_request: Request, _exc: Exception) -> Response:
    # The client went away while sending (closed laptop, killed process): nothing was stored
    # and nobody reads an answer; not a server error.
    log.info("A client disconnected before its request was complete")
    return Response(status_code=400)


async def _internal_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("Unexpected %s while answering a request", type(exc).__name__)
    return JSONResponse(
        {"detail": "The server failed to answer; try again later or tell the registry."},
        status_code=500,
    )
