"""POST /messages: submit one message under an Idempotency-Key; POST /messages/batch: many."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from desktop_app.forms import Catalogue
from desktop_app.receipt_signature import SigningKey
from registry_server.accounts import Principal
from registry_server.deps import CatalogueDep, PrincipalDep, SettingsDep
from registry_server.schemas import (
    BatchRequest,
    BatchResults,
    InvalidMessage,
    MessageBody,
    Problem,
    ReceiptOut,
)
from registry_server.settings import ServerSettings
from registry_server.submission_batch import submit_batch
from registry_server.submission_parsing import (
    SubmissionRefused,
    parse_batch,
    parse_body,
    parse_idempotency_key,
)
from registry_server.submissions import submit

router = APIRouter(tags=["messages"])

BATCH_PATH = "/messages/batch"


@router.post(
    "/messages",
    status_code=201,
    response_model=ReceiptOut,
    responses={
        200: {"model": ReceiptOut, "description": "A replay: the original receipt."},
        400: {"model": Problem, "description": "Missing or ill-formed Idempotency-Key."},
        401: {"model": Problem},
        409: {"model": Problem, "description": "The key was used for a different body."},
        413: {"model": Problem},
        422: {
            "model": InvalidMessage,
            "description": "The message is not valid (see issues), or its form version is no "
            "longer accepted (see latest_version).",
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": MessageBody.model_json_schema()}},
        }
    },
)
async def post_message(
    request: Request,
    principal: PrincipalDep,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None, Header(description="A UUID that stays the same on every retry.")
    ] = None,
) -> JSONResponse:
    # The raw body is read here (not by FastAPI) so that the hash is of exactly what was sent
    # and every refusal is a plain sentence.
    try:
        key = parse_idempotency_key(idempotency_key)
        body = parse_body(await request.body())
        accepted = await run_in_threadpool(
            submit,
            request.app.state.session_factory,
            catalogue,
            principal,
            body,
            key,
            settings.today(),
            signer=request.app.state.signing_key,
        )
    except SubmissionRefused as refused:
        return JSONResponse(refused.payload(), status_code=refused.status)
    return JSONResponse(accepted.receipt, status_code=200 if accepted.replay else 201)


@router.post(
    BATCH_PATH,
    response_model=BatchResults,
    responses={
        400: {
            "model": Problem,
            "description": 'The body is not {"items": [...]}, or has no items or more than '
            "the server takes in one batch (100).",
        },
        401: {"model": Problem},
        413: {"model": Problem, "description": "The whole request is over 8 MiB."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BatchRequest.model_json_schema()}},
        }
    },
)
async def post_batch(
    request: Request,
    principal: PrincipalDep,
    catalogue: CatalogueDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Submit up to 100 messages, each with its own idempotency key. Each item's result is
    what POST /messages would have answered for it alone, in the items' order; the same key
    twice in one batch is answered as if the two were sent one after the other."""
    raw = await request.body()
    try:
        results = await run_in_threadpool(
            _batch,
            raw,
            request.app.state.session_factory,
            catalogue,
            principal,
            settings,
            request.app.state.signing_key,
        )
    except SubmissionRefused as refused:
        return JSONResponse(refused.payload(), status_code=refused.status)
    return JSONResponse({"results": results})


def _batch(
    raw: bytes,
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    principal: Principal,
    settings: ServerSettings,
    signer: SigningKey,
) -> list[dict[str, Any]]:
    # Parsing runs here too, off the event loop: a batch is up to 8 MiB of JSON.
    items = parse_batch(raw, settings.max_batch_items)
    return submit_batch(
        session_factory,
        catalogue,
        principal,
        items,
        settings.today(),
        signer=signer,
        max_body_bytes=settings.max_body_bytes,
    )
