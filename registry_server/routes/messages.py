"""POST /messages: submit one message under an Idempotency-Key; POST /messages/batch: many."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from desktop_app.forms import Catalogue
from desktop_app.receipt_signature import SigningKey
from registry_server import audit
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
from registry_server.tokens import Principal

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
    raw = await request.body()
    status, answer = await run_in_threadpool(
        _one,
        raw,
        idempotency_key,
        request.app.state.session_factory,
        catalogue,
        principal,
        settings,
        request.app.state.signing_key,
    )
    return JSONResponse(answer, status_code=status)


def _one(
    raw: bytes,
    idempotency_key: str | None,
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    principal: Principal,
    settings: ServerSettings,
    signer: SigningKey,
) -> tuple[int, dict[str, Any]]:
    body: object = None
    try:
        key = parse_idempotency_key(idempotency_key)
        body = parse_body(raw)
        accepted = submit(
            session_factory,
            catalogue,
            principal,
            body,
            key,
            settings.today(),
            signer=signer,
            check_unit=settings.reporting_unit_check,
        )
    except SubmissionRefused as refused:
        sha = hashlib.sha256(raw).hexdigest()
        audit.record_now(session_factory, [_refused_entry(principal, body, sha, refused.status)])
        return refused.status, refused.payload()
    if accepted.replay:  # a new message was audited with its storing
        audit.record_now(session_factory, [_replay_entry(principal, accepted.receipt)])
    return (200 if accepted.replay else 201), accepted.receipt


_ID = re.compile(r"[0-9a-fA-F-]{1,36}")


def _message_id(message: object) -> str | None:
    """The message's id for the audit log, when it looks like one (anything else may be junk
    a database would refuse)."""
    value = message.get("message_id") if isinstance(message, dict) else None
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def _refused_entry(principal: Principal, message: object, sha: str | None, status: int) -> dict:
    return audit.entry(
        audit.MESSAGE_REFUSED,
        principal=principal,
        message_id=_message_id(message),
        body_sha256=sha,
        status=status,
    )


def _replay_entry(principal: Principal, receipt: dict) -> dict:
    return audit.entry(
        audit.MESSAGE_REPLAY,
        principal=principal,
        message_id=receipt.get("message_id"),
        body_sha256=receipt.get("body_sha256"),
        status=200,
    )


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
    results = submit_batch(
        session_factory,
        catalogue,
        principal,
        items,
        settings.today(),
        signer=signer,
        max_body_bytes=settings.max_body_bytes,
        check_unit=settings.reporting_unit_check,
    )
    entries = []
    for item, result in zip(items, results, strict=True):
        if result["status"] == 200:
            entries.append(_replay_entry(principal, result["receipt"]))
        elif result["status"] != 201:  # a new message was audited with its storing
            entries.append(_refused_entry(principal, item.get("message"), None, result["status"]))
    audit.record_now(session_factory, entries)
    return results
