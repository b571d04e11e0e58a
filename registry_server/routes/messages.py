"""POST /messages: submit one message under an Idempotency-Key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from registry_server.deps import CatalogueDep, PrincipalDep, SettingsDep
from registry_server.schemas import InvalidMessage, MessageBody, Problem, ReceiptOut
from registry_server.submissions import (
    SubmissionRefused,
    parse_body,
    parse_idempotency_key,
    submit,
)

router = APIRouter(tags=["messages"])


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
        )
    except SubmissionRefused as refused:
        return JSONResponse(refused.payload(), status_code=refused.status)
    return JSONResponse(accepted.receipt, status_code=200 if accepted.replay else 201)
